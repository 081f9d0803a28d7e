#!/bin/bash
# setup.sh — the set-up scripts themselves: tools/install-deps parses
# (sh -n: one stray quote in its package list stops `make test` on a fresh
# machine before anything is built), lists one reason per package, names
# every library the Makefile links, and says all is installed here;
# tools/fetch-models parses too.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

r=""
sh -n "$SRC/tools/install-deps" 2>"$T/n.err" || r="sh -n: $(tr '\n' ' ' <"$T/n.err")"
check install-deps-parses "$r"

r=""
"$SRC/tools/install-deps" --list >"$T/list" 2>"$T/list.err" || r="--list failed: $(tr '\n' ' ' <"$T/list.err")"
[ -n "$r" ] || awk 'NF < 2 { bad = bad " " $1 } END { if (bad) { print "no reason for" bad; exit 1 } }' "$T/list" >"$T/bad" ||
	r=$(cat "$T/bad")
[ -n "$r" ] || [ "$(wc -l <"$T/list")" -ge 30 ] || r="only $(wc -l <"$T/list") packages listed"
check install-deps-lists "$r"

# The -dev package of every pkg-config name on the Makefile's link line.
r=""
pcs=$(awk '/^(CV_)?PKGS *=/ { f = 1; sub(/^[A-Z_]+ *=/, "") } f { sub(/\\$/, ""); print; if ($0 !~ /[ \t]$/ && !cont) f = 0 }' \
	"$SRC/Makefile" | tr ' \t' '\n\n' | grep .)
[ "$(wc -w <<<"$pcs")" -ge 10 ] || r="read only $(wc -w <<<"$pcs") pkg-config names from the Makefile"
for pc in $pcs; do
	hdr=$(pkg-config --variable=pcfiledir "$pc" 2>/dev/null)
	[ -n "$hdr" ] || { r="$r $pc (no .pc file here)"; continue; }
	owner=$(dpkg -S "$hdr/$pc.pc" 2>/dev/null | head -1 | cut -d: -f1)
	[ -n "$owner" ] || continue	# a .pc file no package owns: nothing to list
	grep -q "^$owner " "$T/list" || r="$r $pc ($owner is not in install-deps)"
done
check install-deps-covers-link-line "$r"

r=""
"$SRC/tools/install-deps" >"$T/run" 2>&1 || r="install-deps failed: $(tail -2 "$T/run" | tr '\n' ' ')"
[ -n "$r" ] || grep -q 'all .* Debian packages are installed' "$T/run" || r="it did not say all is installed: $(head -2 "$T/run" | tr '\n' ' ')"
check install-deps-runs "$r"

r=""
if head -1 "$SRC/tools/fetch-models" | grep -q 'sh'; then
	sh -n "$SRC/tools/fetch-models" 2>"$T/f.err" || bash -n "$SRC/tools/fetch-models" 2>"$T/f.err" ||
		r="$(tr '\n' ' ' <"$T/f.err")"
fi
check fetch-models-parses "$r"
