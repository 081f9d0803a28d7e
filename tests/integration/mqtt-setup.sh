#!/bin/bash
# mqtt-setup.sh — `smartofficed mqtt setup` and the daemon's MQTT options:
#  - setup writes the fragment (an MQTT and a websockets listener), the
#    password file, the ACL and one password file per user (0600), and a
#    second run keeps the passwords; bad names and ports are refused;
#  - the daemon refuses a bad mqtt_url, a password file others can read,
#    a bad site id, each with a clear message and exit status 1;
#  - the broker down at start: the daemon starts anyway, says so, and
#    connects once the broker is there; wrong credentials are logged and
#    the daemon keeps working.
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib-mqtt.sh"
need "$DAEMON"

d=$T/setup
out=$("$DAEMON" mqtt setup --dir "$d" --port 18883 --ws-port 18884 --site mayor --site songpa \
	--display wall --commander ops --bridge relay 2>&1)
expect_eq setup-status "$?" 0 "exit status ($out)"
missing=""
for f in smartoffice.conf passwd acl credentials/smartoffice-mayor credentials/smartoffice-songpa \
	credentials/wall credentials/ops credentials/relay; do
	[ -s "$d/$f" ] || missing+=" $f"
done
check setup-files "${missing:+missing:$missing}"
grep -q '^listener 18883' "$d/smartoffice.conf" && grep -q '^listener 18884' "$d/smartoffice.conf" &&
	grep -q '^protocol websockets' "$d/smartoffice.conf" && grep -q "^acl_file $d/acl" "$d/smartoffice.conf" &&
	pass setup-listeners || fail setup-listeners "$(tr '\n' ' ' <"$d/smartoffice.conf")"
expect_eq setup-modes "$(stat -c %a "$d/credentials/ops") $(stat -c %a "$d/credentials")" "600 700" "modes"
expect_eq setup-users "$(cut -d: -f1 "$d/passwd" | tr '\n' ' ')" \
	"smartoffice-mayor smartoffice-songpa wall ops relay " "password file users"
grep -q '^\$7\$101\$' <<<"$(cut -d: -f2 "$d/passwd" | head -1)" && pass setup-hash-format ||
	fail setup-hash-format "$(head -1 "$d/passwd")"
# anonymous rules come before the first user, and read only
anon=$(sed '/^user /,$d' "$d/acl" | grep '^topic')
expect_eq setup-acl-anonymous "$anon" $'topic read smartoffice/+/public/#\ntopic read smartoffice/+/status'
grep -A6 '^user ops$' "$d/acl" | grep -q '^topic write smartoffice/+/command$' &&
	! grep -A5 '^user wall$' "$d/acl" | grep -q 'write' && pass setup-acl-roles ||
	fail setup-acl-roles "the commander cannot command or the display can write"
before=$(cat "$d/credentials/ops")
"$DAEMON" mqtt setup --dir "$d" --port 18883 --ws-port 18884 --site mayor --commander ops >/dev/null 2>&1
expect_eq setup-keeps-passwords "$(cat "$d/credentials/ops")" "$before" "ops password after a second run"

refuse() { # NAME PATTERN ARGS...: exit status 1 or 2 and a message matching PATTERN
	local name=$1 pat=$2 o rc
	shift 2
	o=$("$DAEMON" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then fail "$name" "exit status 0: $o"
	elif ! grep -qE -- "$pat" <<<"$o"; then fail "$name" "message does not say /$pat/: $o"
	else pass "$name"; fi
}
refuse setup-bad-site 'names and sites are 1 to 64' mqtt setup --dir "$T/x" --site 'a/b'
refuse setup-same-ports 'two different ports' mqtt setup --dir "$T/x" --port 1 --ws-port 1
refuse setup-bad-port 'a port 1..65535' mqtt setup --dir "$T/x" --port 0
refuse setup-no-verb 'the command is "setup"' mqtt
refuse setup-bad-arg 'unexpected argument' mqtt setup --dir "$T/x" extra

# ---- the daemon's options
run_daemon badurl -o audio=none -o mqtt_url=http://127.0.0.1:1883
expect_eq bad-url "$(cat "$T/badurl.rc")" 1 "exit status"
grep -q 'http://127.0.0.1:1883.*mqtt://HOST' "$T/badurl.err" && pass bad-url-message ||
	fail bad-url-message "$(tail -1 "$T/badurl.err")"
cp "$d/credentials/smartoffice-mayor" "$T/open-pw"
chmod 644 "$T/open-pw"
run_daemon openpw -o audio=none -o mqtt_url=mqtt://127.0.0.1:1 -o mqtt_user=smartoffice-mayor \
	-o "mqtt_password_file=$T/open-pw"
grep -q "open-pw: readable by others" "$T/openpw.err" && [ "$(cat "$T/openpw.rc")" = 1 ] &&
	pass password-file-mode || fail password-file-mode "exit $(cat "$T/openpw.rc"): $(tail -1 "$T/openpw.err")"
run_daemon badsite -o audio=none -o mqtt_url=mqtt://127.0.0.1:1 -o 'site=a b'
grep -q 'site "a b"' "$T/badsite.err" && [ "$(cat "$T/badsite.rc")" = 1 ] && pass bad-site ||
	fail bad-site "exit $(cat "$T/badsite.rc"): $(tail -1 "$T/badsite.err")"
o=$("$DAEMON" -o mqtt_url=mqtt://broker.example:1884 -o site=songpa -o hermes=trusted --print-config 2>&1)
grep -q '^mqtt_url = mqtt://broker.example:1884' <<<"$o" && grep -q '^hermes = trusted' <<<"$o" &&
	pass print-config || fail print-config "the options are not in --print-config"
refuse bad-hermes 'hermes' -o hermes=sometimes -n

# ---- the broker down at start, then there
broker_start a
broker_stop a
mapfile -t mo < <(mqtt_opts a mayor)
start_daemon late -o audio=none -o speak=no "${mo[@]}" || { fail start "$START_ERROR"; exit 1; }
LPID=$DPID
wait_for "$T/late.err" 'mqtt: broker 127.0.0.1:[0-9]+ not reached.*working locally' 5 && pass down-at-start ||
	fail down-at-start "$(grep mqtt "$T/late.err" | tr '\n' ' ')"
sleep 2
broker_restart a
wait_for "$T/late.err" 'mqtt: (re)?connected to 127.0.0.1' 40 && pass connects-later ||
	fail connects-later "$(grep mqtt "$T/late.err" | tr '\n' ' ')"
s=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -t smartoffice/mayor/public/state -C 1 -W 3)
expect_eq state-after-late-connect "$(jget "$s" type)/$(jget "$s" screen)" hello/main "retained public hello"

# ---- wrong credentials: logged, the daemon goes on (its own state
# directory: "late" still runs, and one daemon runs per directory)
echo wrong >"$T/wrong-pw"
chmod 600 "$T/wrong-pw"
start_daemon wrongpw --state-dir "$T/state-wrongpw" -o audio=none -o speak=no -o "mqtt_url=mqtt://127.0.0.1:${MQTT_PORT[a]}" \
	-o mqtt_user=smartoffice-songpa -o "mqtt_password_file=$T/wrong-pw" -o site=songpa ||
	{ fail start-wrongpw "$START_ERROR"; exit 1; }
WPID=$DPID
wait_for "$T/wrongpw.err" 'refused the connection: .*(not authori|Not authori)' 5 && pass wrong-credentials ||
	fail wrong-credentials "$(grep mqtt "$T/wrongpw.err" | tr '\n' ' ')"
http_get "$PORT" / "$T/i.hdr" "$T/i.body"
[[ $(head -1 "$T/i.hdr") == HTTP/1.?" 200"* ]] && pass works-without-broker ||
	fail works-without-broker "GET / failed while the broker refuses it"
stop_daemon "$WPID"
expect_eq exit-wrongpw "$ST" 0
stop_daemon "$LPID"
expect_eq exit-late "$ST" 0
