#!/bin/bash
# service.sh — smartofficed as a system service (docs/install.md):
#  - `make install` into a temporary DESTDIR puts the unit, the sysusers
#    file, the udev rules and template, the configuration and the man page
#    where systemd, udev and man look;
#  - `systemd-analyze verify` accepts the installed unit (its ExecStart
#    pointed at the DESTDIR binary, MANPATH at the DESTDIR man page), and
#    rejects a copy with a misspelt setting (the check can fail);
#  - `systemd-analyze security --offline=yes` scores it <= 3.0 "OK";
#  - systemd-sysusers, on a copy of /etc, makes the user smartoffice with
#    the groups audio, video and input;
#  - the daemon's sd_notify datagrams, read from a NOTIFY_SOCKET this test
#    binds: READY=1 with a STATUS naming the real port, WATCHDOG=1 about
#    once a second with WATCHDOG_USEC set (none without it), RELOADING=1
#    then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, exit 0;
#  - STATE_DIR/url holds the URL of the running daemon (its --port 0 port,
#    or its public_url), `tokens add` prints it, and once the daemon has
#    stopped prints the configured address again;
#  - the udev rules under `udevadm test` (udev 252 has no `udevadm verify`)
#    in a private mount namespace with /dev, /run and a read-only /sys of
#    its own, so that nothing on this machine changes: the files parse (a
#    copy with a typo does not), the access rule gives a device of this
#    machine to the group smartoffice (uinput when there is one, else a
#    misc device the rule is pointed at), and a camera, when the machine has
#    one, gets /dev/smartoffice/room-camera from the template filled in
#    with its serial;
#  - what the unit forbids, on the daemon itself (section 7): the system
#    calls of a replay run, no writable+executable memory, and only the
#    socket families the unit allows.
# Needs root (unshare -m, bind mounts), python3 (the notify socket), strace.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" /usr/bin/systemd-analyze /usr/bin/systemd-sysusers /usr/bin/python3 \
	"$SRC/tools/systemd/smartofficed.service" "$SRC/udev/70-smartoffice.rules"
command -v udevadm >/dev/null || { fail prerequisites "udevadm is not installed (Debian package udev)"; exit 1; }
[ "$(id -u)" = 0 ] || { fail prerequisites "needs root (unshare -m for udevadm test)"; exit 1; }

# ---- 1. make install into a DESTDIR (the build as it is: -o all)
R=$T/root
if ! make -s -C "$SRC" -o all BUILD="$BUILD" DESTDIR="$R" PREFIX=/usr/local install >"$T/install.log" 2>&1; then
	fail install "make install failed: $(tail -3 "$T/install.log" | tr '\n' ' ')"
	exit 1
fi
UNIT=$R/usr/local/lib/systemd/system/smartofficed.service
r=""
for f in usr/local/bin/smartofficed usr/local/lib/systemd/system/smartofficed.service \
	usr/local/lib/sysusers.d/smartoffice.conf usr/local/lib/udev/rules.d/70-smartoffice.rules \
	usr/local/share/smartoffice/udev/71-smartoffice-devices.rules.in usr/local/share/man/man8/smartofficed.8 \
	usr/local/share/doc/smartoffice/install.md etc/smartoffice/smartofficed.conf; do
	[ -s "$R/$f" ] || r+=" $f"
done
check install "${r:+missing:$r}"
r=""
grep -q '^ExecStart=/usr/local/bin/smartofficed --config /etc/smartoffice/smartofficed.conf' "$UNIT" ||
	r="ExecStart: $(grep '^ExecStart' "$UNIT")"
check install-paths "$r"

# ---- 2. systemd-analyze verify
sed "s|^ExecStart=/usr/local/bin/smartofficed|ExecStart=$R/usr/local/bin/smartofficed|" "$UNIT" >"$T/smartofficed.service"
MANPATH=$R/usr/local/share/man: systemd-analyze verify "$T/smartofficed.service" >"$T/verify.out" 2>&1
rc=$?
[ ! -s "$T/verify.out" ] || sed 's/^/  verify: /' "$T/verify.out"
check verify "$([ "$rc" = 0 ] && [ ! -s "$T/verify.out" ] || echo "status $rc: $(head -3 "$T/verify.out" | tr '\n' ' ')")"
mkdir -p "$T/bad"
sed 's/^ProtectSystem=strict/ProtectSystem=strcit/' "$T/smartofficed.service" >"$T/bad/smartofficed.service"
MANPATH=$R/usr/local/share/man: systemd-analyze verify "$T/bad/smartofficed.service" >"$T/verify-bad.out" 2>&1
rc=$?
r=""
# (verify exits 0 on settings it ignores: the check above wants no output)
grep -q 'strcit' "$T/verify-bad.out" || r="a misspelt ProtectSystem= went unnoticed (status $rc)"
check verify-catches-errors "$r"

# ---- 3. systemd-analyze security (offline: no running manager here)
systemd-analyze security --offline=yes "$T/smartofficed.service" >"$T/security.out" 2>&1
line=$(grep -a 'Overall exposure level' "$T/security.out")
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1/p' <<<"$line")
verdict=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\2/p' <<<"$line")
note "systemd-analyze security: exposure $score $verdict (target <= 3.0 OK)"
grep -a '✗' "$T/security.out" | awk '{ printf "  not set: %s (%s)\n", $2, $NF }'
r=""
if [ -z "$score" ]; then
	r="no score: $(tail -2 "$T/security.out" | tr '\n' ' ')"
elif ! awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' || [ "$verdict" != OK ]; then
	r="exposure $score $verdict, want <= 3.0 OK"
fi
check security-score "$r"
r=""
for kv in Type=notify WatchdogSec= Restart=on-failure User=smartoffice StateDirectory=smartoffice \
	ConfigurationDirectory=smartoffice ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	NoNewPrivileges=yes RestrictAddressFamilies= "SupplementaryGroups=audio video input" \
	DevicePolicy=closed "DeviceAllow=char-alsa rw" "DeviceAllow=char-video4linux rw" \
	"DeviceAllow=/dev/uinput rw" "DeviceAllow=char-gpiochip rw"; do
	grep -q "^$kv" "$UNIT" || r+=" $kv"
done
check unit-settings "${r:+missing:$r}"

# ---- 4. systemd-sysusers on a copy of /etc
mkdir -p "$T/sys/etc"
cp /etc/passwd /etc/group "$T/sys/etc/"
cp /etc/shadow /etc/gshadow "$T/sys/etc/" 2>/dev/null
systemd-sysusers --root="$T/sys" - <"$R/usr/local/lib/sysusers.d/smartoffice.conf" >"$T/sysusers.out" 2>&1
r=""
grep -q '^smartoffice:x:[0-9]*:[0-9]*:.*:/var/lib/smartoffice:/usr/sbin/nologin$' "$T/sys/etc/passwd" ||
	r="no user smartoffice: $(tr '\n' ' ' <"$T/sysusers.out")"
for g in audio video input; do
	grep -Eq "^$g:x:[0-9]+:(.*,)?smartoffice(,|$)" "$T/sys/etc/group" || r+=" not in group $g"
done
grep -q '^smartoffice:x:' "$T/sys/etc/group" || r+=" no group smartoffice"
check sysusers "$r"

# ---- 5. sd_notify, from a socket this test binds
cat >"$T/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    print("bound", file=out)
    while True:
        out.write(s.recv(65536).decode("utf-8", "replace").replace("\n", " | ") + "\n")
EOF
listen() { # NAME: binds $T/NAME.sock, writes $T/NAME.notify
	python3 "$T/listen.py" "$T/$1.sock" "$T/$1.notify" &
	CHILD_PIDS+=("$!")
	wait_for "$T/$1.notify" '^bound$' 5
}
listen n1 || { fail notify-socket "the listener did not bind $T/n1.sock"; exit 1; }
printf 'public_url = \n' >"$T/d.conf"
if ! NOTIFY_SOCKET=$T/n1.sock WATCHDOG_USEC=2000000 start_daemon d1 -c "$T/d.conf" -o audio=none; then
	fail notify-start "$START_ERROR"
	exit 1
fi
r=""
wait_for "$T/n1.notify" '^READY=1 \| STATUS=serving http://127.0.0.1:'"$PORT"'/$' 5 ||
	r="no \"READY=1 | STATUS=serving http://127.0.0.1:$PORT/\": $(tr '\n' ';' <"$T/n1.notify")"
check notify-ready "$r"
sleep 3.2
nw=$(grep -c '^WATCHDOG=1$' "$T/n1.notify")
note "WATCHDOG=1 pings in about 3.2 s: $nw"
check notify-watchdog "$([ "$nw" -ge 2 ] && [ "$nw" -le 5 ] || echo "$nw pings in 3.2 s, want 2 to 5 (one a second)")"
r=""
grep -q '^STATUS=serving http://127.0.0.1:'"$PORT"'/; 0 clients$' "$T/n1.notify" || r="no STATUS line with the client count"
check notify-status "$r"

# STATE_DIR/url and tokens add, while the daemon runs
r=""
[ "$(head -1 "$T/state/url" 2>/dev/null)" = "http://127.0.0.1:$PORT" ] || r="STATE_DIR/url: $(head -1 "$T/state/url" 2>&1)"
check url-file "$r"
"$DAEMON" -c "$T/d.conf" --state-dir "$T/state" tokens add --role remote --name tab1 >"$T/tok1.out" 2>"$T/tok1.err"
r=""
grep -qx "open: http://127.0.0.1:$PORT/remote/#token=[A-Za-z0-9_-]*" "$T/tok1.out" ||
	r="want \"open: http://127.0.0.1:$PORT/remote/#token=...\", got: $(tr '\n' ' ' <"$T/tok1.out")"
check tokens-add-real-port "$r"

# SIGHUP with public_url set in the file: RELOADING=1, then READY=1 with
# the new address, in STATE_DIR/url too.
n0=$(wc -l <"$T/n1.notify")
printf 'public_url = http://reloaded.example:8080\n' >"$T/d.conf"
kill -HUP "$DPID"
r=""
wait_for "$T/d1.err" 'reloaded:' 5 || r="no reload in the log"
sleep 0.3
tail -n +"$((n0 + 1))" "$T/n1.notify" | grep -v '^WATCHDOG=1$\|^STATUS=' >"$T/n1.reload"
[ -n "$r" ] || [ "$(head -2 "$T/n1.reload" | tr '\n' ';')" = "RELOADING=1 | STATUS=reloading the configuration;READY=1 | STATUS=serving http://reloaded.example:8080/;" ] ||
	r="after SIGHUP: $(tr '\n' ';' <"$T/n1.reload"), want RELOADING=1 then READY=1 with the new public_url"
[ -n "$r" ] || [ "$(head -1 "$T/state/url")" = "http://reloaded.example:8080" ] || r="STATE_DIR/url after the reload: $(head -1 "$T/state/url")"
check notify-reload "$r"
printf 'public_url = \n' >"$T/d.conf"

# (30 s: an ASan build's exit, leak check included, takes more than 5)
kill -TERM "$DPID"
wait_exit "$DPID" 30
r=""
[ "$ST" = 0 ] || r="exit status $ST"
sleep 0.2
[ -n "$r" ] || grep -q '^STOPPING=1' "$T/n1.notify" || r="no STOPPING=1: $(tail -2 "$T/n1.notify" | tr '\n' ';')"
check notify-stopping "$r"
r=""
[ ! -e "$T/state/url" ] || r="STATE_DIR/url is still there"
"$DAEMON" -c "$T/d.conf" --state-dir "$T/state" -o port=7123 tokens add --role display --name wall >"$T/tok2.out" 2>"$T/tok2.err"
[ -n "$r" ] || grep -qx "open: http://127.0.0.1:7123/#token=[A-Za-z0-9_-]*" "$T/tok2.out" ||
	r="daemon stopped: want the configured http://127.0.0.1:7123, got: $(tr '\n' ' ' <"$T/tok2.out")"
check tokens-add-fallback "$r"

# No WATCHDOG_USEC: no pings.
listen n2 || { fail notify-socket "the listener did not bind $T/n2.sock"; exit 1; }
if NOTIFY_SOCKET=$T/n2.sock start_daemon d2 -c "$T/d.conf" -o audio=none &&
	wait_for "$T/n2.notify" '^READY=1' 5; then
	sleep 2.2
	stop_daemon "$DPID"
	check notify-no-watchdog "$(! grep -q '^WATCHDOG=1' "$T/n2.notify" || echo "WATCHDOG=1 without WATCHDOG_USEC")"
else
	fail notify-no-watchdog "no READY=1: ${START_ERROR:-$(tr '\n' ';' <"$T/n2.notify")}"
fi

# The running daemon's public_url, not the configuration's (empty here).
if start_daemon d3 -c "$T/d.conf" -o audio=none -o public_url=http://wall.office.example:9000/; then
	"$DAEMON" -c "$T/d.conf" --state-dir "$T/state" tokens add --role display --name wall2 >"$T/tok3.out" 2>"$T/tok3.err"
	stop_daemon "$DPID"
	check tokens-add-public-url "$(grep -qx 'open: http://wall.office.example:9000/#token=[A-Za-z0-9_-]*' "$T/tok3.out" ||
		echo "want the daemon's public_url, got: $(tr '\n' ' ' <"$T/tok3.out")")"
else
	fail tokens-add-public-url "$START_ERROR"
fi

# ---- 6. udev rules under udevadm test, in a sandbox
# udev_test OUT RULESDIR DEVPATH: udevadm test DEVPATH into OUT, with
# RULESDIR as /etc/udev/rules.d and the sysusers copy of /etc/passwd and
# /etc/group (so that the group smartoffice resolves), in a mount namespace
# with a /dev, a /run and a read-only /sys of its own: udevadm test really
# sets permissions, makes links and writes ATTR{} values, and none of that
# may reach this machine.
udev_test() {
	unshare -m /bin/sh -ec '
		mount --make-rprivate /
		mount --bind "$1" /etc/udev/rules.d
		mount --bind "$2/etc/group" /etc/group
		mount --bind "$2/etc/passwd" /etc/passwd
		mount --bind /sys /sys
		mount -o remount,bind,ro /sys
		mount -t tmpfs none /dev
		mount -t tmpfs none /run
		exec udevadm test "$3"' sh "$2" "$T/sys" "$3" >"$1" 2>&1
}
gid=$(awk -F: '$1 == "smartoffice" { print $3 }' "$T/sys/etc/group")
# A misc device of this machine: uinput itself, else the first there is.
if [ -e /sys/class/misc/uinput ]; then
	misc=uinput
else
	misc=$(find /sys/class/misc/ -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | head -1)
fi
if [ -z "$misc" ]; then
	fail udev-access "no misc device in /sys/class/misc to test the rules on"
else
	mkdir -p "$T/rules"
	sed "s/KERNEL==\"uinput\"/KERNEL==\"$misc\"/" "$SRC/udev/70-smartoffice.rules" >"$T/rules/70-smartoffice.rules"
	cp "$SRC/udev/71-smartoffice-devices.rules.in" "$T/rules/71-smartoffice-devices.rules"
	unshare_out=$T/udev-misc.out
	udev_test "$unshare_out" "$T/rules" "/sys/class/misc/$misc"
	rc=$?
	if [ "$misc" = uinput ]; then
		note "udevadm test /sys/class/misc/uinput (this machine's uinput)"
	else
		note "udevadm test /sys/class/misc/$misc (no uinput here: the uinput rule pointed at $misc)"
	fi
	r=""
	grep -q 'Reading rules file: /etc/udev/rules.d/70-smartoffice.rules' "$unshare_out" || r="70-smartoffice.rules not read (status $rc): $(tail -2 "$unshare_out" | tr '\n' ' ')"
	grep -q 'Reading rules file: /etc/udev/rules.d/71-smartoffice-devices.rules' "$unshare_out" || r+=" 71-smartoffice-devices.rules not read"
	if grep -E 'smartoffice[^ ]*\.rules:[0-9]+ ' "$unshare_out" | grep -v ' GROUP \| MODE \| LINK \| OPTIONS ' >"$T/udev-complaints"; [ -s "$T/udev-complaints" ]; then
		r+=" complaints: $(head -3 "$T/udev-complaints" | tr '\n' ' ')"
	fi
	check udev-parse "$r"
	r=""
	grep -q "$misc: /etc/udev/rules.d/70-smartoffice.rules:[0-9]* GROUP $gid" "$unshare_out" || r="no GROUP $gid (smartoffice) from 70-smartoffice.rules"
	grep -q "$misc: /etc/udev/rules.d/70-smartoffice.rules:[0-9]* MODE 0660" "$unshare_out" || r+=" no MODE 0660"
	check udev-access "$r"
	# the check can fail: a typo is reported
	echo 'SUBSYSTEM=="misc", GRUOP="smartoffice"' >>"$T/rules/70-smartoffice.rules"
	udev_test "$T/udev-bad.out" "$T/rules" "/sys/class/misc/$misc"
	check udev-catches-errors "$(grep -q '70-smartoffice.rules:[0-9]* Invalid key' "$T/udev-bad.out" || echo "a rule with GRUOP= was not reported")"
fi
# gpiochip and cameras: only where this machine has them.
for dev in /sys/bus/gpio/devices/gpiochip0; do
	[ -e "$dev" ] || { note "no GPIO chip on this machine: the gpiochip rule was parsed, not applied"; continue; }
	cp "$SRC/udev/70-smartoffice.rules" "$T/rules/70-smartoffice.rules"
	udev_test "$T/udev-gpio.out" "$T/rules" "$dev"
	check udev-gpiochip "$(grep -q "70-smartoffice.rules:[0-9]* GROUP $gid" "$T/udev-gpio.out" || echo "no GROUP $gid for $dev")"
done
cam=$(find /sys/class/video4linux/ -mindepth 1 -maxdepth 1 -name 'video*' 2>/dev/null | sort | head -1)
if [ -z "$cam" ]; then
	note "no camera on this machine: the camera and microphone rules were parsed, not applied"
else
	serial=$(udevadm test-builtin usb_id "$cam" 2>/dev/null | sed -n 's/^ID_SERIAL=//p')
	if [ -z "$serial" ]; then
		note "camera $cam has no USB serial: its rule was parsed, not applied"
	else
		sed "s/@ROOM_CAMERA_SERIAL@/$serial/" "$SRC/udev/71-smartoffice-devices.rules.in" >"$T/rules/71-smartoffice-devices.rules"
		udev_test "$T/udev-cam.out" "$T/rules" "$cam"
		r=""
		if [ "$(cat "$cam/index" 2>/dev/null)" = 0 ]; then
			grep -q "LINK 'smartoffice/room-camera'" "$T/udev-cam.out" || r="$cam ($serial): no smartoffice/room-camera link"
		fi
		check udev-camera "$r"
	fi
fi

# ---- 7. the daemon inside the unit's limits.  Nothing here can start the
# unit (no systemd as PID 1), so what it forbids is checked on the daemon:
#  - a replay run (session audio, a camera clip, a websocket client, SIGHUP,
#    SIGTERM) under strace -f: every system call it makes is in the unit's
#    SystemCallFilter= allow list and in none of its ~ lists, and no memory
#    is made writable and executable or made executable later
#    (MemoryDenyWriteExecute=);
#  - the daemon with every socket but AF_INET, AF_INET6 and AF_UNIX refused
#    (EAFNOSUPPORT, as RestrictAddressFamilies= does; an LD_PRELOAD shim)
#    still listens, on 127.0.0.1 and on 0.0.0.0, and serves a hello.
command -v strace >/dev/null || { fail prerequisites "strace is not installed (Debian package strace)"; exit 1; }
need "$BUILD/tools/make-clips" "$CORPUS/session.wav"
"$BUILD/tools/make-clips" "$T/clips" --set quick --clip 000-raise >/dev/null 2>"$T/clips.err" ||
	{ fail prerequisites "make-clips: $(tail -1 "$T/clips.err")"; exit 1; }
mkdir -p "$T/strace"
strace -f -qq -ff -o "$T/strace/t" "$DAEMON" --port 0 --state-dir "$T/state" \
	--audio-file "$CORPUS/session.wav" --video-file "$T/clips/000-raise" >"$T/st.out" 2>"$T/st.err" &
SPID=$!
CHILD_PIDS+=("$SPID")
r=""
if wait_for "$T/st.err" 'listening; dashboards' 30; then
	SPORT=$(sed -n 's#.*listening; dashboards: http://[^/]*:\([0-9][0-9]*\)/.*#\1#p' "$T/st.err" | head -1)
	"$WSCLIENT" --port "$SPORT" --until hello --timeout 10 >"$T/st.msgs" 2>&1 || r="no hello under strace"
	dpid=$(pgrep -P "$SPID" -x smartofficed | head -1)
	kill -HUP "$dpid"
	wait_for "$T/st.err" 'reloaded:' 10 || r+=" no reload under strace"
	sleep 1
	kill -TERM "$dpid"
	wait_exit "$SPID" 15
else
	r="the daemon did not listen under strace: $(tail -2 "$T/st.err" | tr '\n' ' ')"
	kill "$SPID" 2>/dev/null
fi
# groups NAME...: the system calls of syscall-filter groups, nested ones too
groups() {
	local g x
	for g in "$@"; do
		systemd-analyze syscall-filter "$g" | sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p' | while read -r x; do
			case $x in @*) groups "$x" ;; *) echo "$x" ;; esac
		done
	done
}
# shellcheck disable=SC2046  # the group names are words
groups $(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$UNIT") | sort -u >"$T/sc-allow"
# shellcheck disable=SC2046
groups $(sed -n 's/^SystemCallFilter=~\(.*\)/\1/p' "$UNIT") | sort -u >"$T/sc-deny"
cat "$T"/strace/t.* | sed -n -e 's/^\([a-z0-9_]*\)(.*/\1/p' -e 's/^<\.\.\. \([a-z0-9_]*\) resumed>.*/\1/p' | sort -u >"$T/sc-used"
note "system calls made: $(wc -l <"$T/sc-used"), allowed by the unit: $(comm -23 "$T/sc-allow" "$T/sc-deny" | wc -l)"
[ -s "$T/sc-allow" ] || r+=" no allow list read from the unit"
[ "$(wc -l <"$T/sc-used")" -ge 30 ] || r+=" only $(wc -l <"$T/sc-used") system calls traced"
out=$(comm -23 "$T/sc-used" "$T/sc-allow" | tr '\n' ' ')
[ -z "$out" ] || r+=" not in the allow list: $out"
out=$(comm -12 "$T/sc-used" "$T/sc-deny" | tr '\n' ' ')
[ -z "$out" ] || r+=" in a denied group: $out"
check syscall-filter "$r"
r=""
wx=$(grep -h -E '^(mmap|mprotect|pkey_mprotect)\(.*PROT_WRITE\|PROT_EXEC|^(mprotect|pkey_mprotect)\(.*PROT_EXEC' "$T"/strace/t.* | head -2)
[ -z "$wx" ] || r="memory made writable and executable: $wx"
check memory-deny-write-execute "$r"
note "socket families asked for: $(grep -ho 'socket(AF_[A-Z0-9]*' "$T"/strace/t.* | sort | uniq -c | awk '{ printf "%s %s; ", substr($2, 8), $1 }')"

cat >"$T/families.c" <<'EOF2'
/* socket() as RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX leaves it */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>
#include <sys/socket.h>
int
socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}
EOF2
if ! cc -shared -fPIC -o "$T/families.so" "$T/families.c" -ldl 2>"$T/families.err"; then
	fail address-families "cannot build the shim: $(head -2 "$T/families.err" | tr '\n' ' ')"
else
	r=""
	for a in 127.0.0.1 0.0.0.0; do
		# (an ASan build wants its runtime first: told not to mind the shim)
		if LD_PRELOAD=$T/families.so ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			start_daemon fam -o audio=none --address "$a"; then
			"$WSCLIENT" --port "$PORT" --until hello --timeout 5 >"$T/fam.msgs" 2>&1 || r+=" $a: no hello"
			stop_daemon "$DPID"
		else
			r+=" $a: $START_ERROR"
		fi
	done
	check address-families "$r"
fi
