#!/bin/bash
# check.sh — `smartofficed -n` finds the bad device specs and broker
# settings that otherwise only a start would (audio, camera_room,
# camera_shelf, shelf_door, mqtt_url, site): exit 1, the option named, nothing printed
# as OK; a good configuration still says "configuration OK".
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON"

bad() { # NAME=VALUE PATTERN
	local out rc
	out=$("$DAEMON" -n -o "$1" 2>&1); rc=$?
	if [ "$rc" != 1 ]; then
		fail "bad-${1%%=*}" "-n -o $1 exited $rc: $(tr '\n' ' ' <<<"$out")"
	elif grep -q 'configuration OK' <<<"$out"; then
		fail "bad-${1%%=*}" "-n -o $1 said configuration OK"
	elif ! grep -q "$2" <<<"$out"; then
		fail "bad-${1%%=*}" "-n -o $1: no /$2/ in: $(tr '\n' ' ' <<<"$out")"
	else
		pass "bad-${1%%=*}"
	fi
}
bad audio=alsa: 'audio: audio source "alsa:": nothing after "alsa:"'
bad camera_room=bogus 'camera_room: camera "bogus": expected file:PATH'
bad camera_shelf=v4l2: 'camera_shelf: camera "v4l2:": nothing after "v4l2:"'
bad shelf_door=door:1 'shelf_door: door "door:1": expected gpio:CHIP:LINE'
bad mqtt_url=http://broker 'mqtt_url: .*mqtt://HOST'
bad site=room/1 'site: "room/1" is not a site id'

out=$("$DAEMON" -n -o audio=alsa:plughw:CARD=smartofficemic -o camera_room=file:room.avi -o shelf_door=gpio:gpiochip0:17 -o mqtt_url=mqtt://127.0.0.1:1883 -o site=mayor 2>&1)
check good-specs "$(grep -q 'configuration OK' <<<"$out" || echo "no configuration OK: $(tr '\n' ' ' <<<"$out")")"
