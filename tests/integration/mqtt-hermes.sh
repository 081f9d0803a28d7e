#!/bin/bash
# mqtt-hermes.sh — the Rhasspy Hermes mirror, from real speech (the corpus:
# "hey seoul ... air quality", then "hey seoul ... documents for approval",
# which public mode denies), replayed as fast as possible (the daemon waits
# for the broker's first CONNACK before the audio starts):
#  - hermes = public: hermes/hotword/hey-seoul/detected for each wake with
#    siteId, modelId and a sessionId; hermes/intent/air-quality with
#    intentName, confidenceScore, input and siteId, in the wake's session;
#    nothing about the private screen (its intent is not public);
#  - hermes = trusted: the private screen's intent is mirrored too;
#  - default (off): no hermes/ message at all;
#  - anonymous clients cannot read hermes/ (ACL).
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib-mqtt.sh"
A=$CORPUS/0002-wake-command-air-quality.wav
P=$CORPUS/0004-wake-command-approval-documents.wav
need "$DAEMON" "$A" "$P"

broker_start a
sox -R "$A" "$P" "$T/two.wav"
lead_in "$T/two.wav" "$T/talk.wav" 2
mapfile -t mo < <(mqtt_opts a mayor)

# run NAME HERMES: one real-time replay with a wall and an anonymous reader on hermes/#
run() {
	local name=$1 h=$2 opt=()
	[ -n "$h" ] && opt=(-o "hermes=$h")
	msub a "$name.sub" -u wall -t 'hermes/#'
	local wpid=$SUBPID
	msub a "$name.anon" -t 'hermes/#'
	local apid=$SUBPID
	sleep 0.3
	run_daemon "$name" --audio-file "$T/talk.wav" -o engine=pocketsphinx -o speak=no -o cue=no \
		"${opt[@]}" "${mo[@]}"
	sleep 0.5
	kill "$wpid" "$apid" 2>/dev/null
	wait "$wpid" "$apid" 2>/dev/null
}

run pub public
ev=$(summary "$T/pub.out")
if [ "$ev" != "wake intent:air-quality navigate:air-quality wake intent:approval-documents denied:approval-documents" ]; then
	fail input "the replay gave [$ev] (exit $(cat "$T/pub.rc")): the test input is unusable"
	exit 1
fi
pass input
wait_for "$T/pub.err" 'mqtt: connected' 0.1 || fail connected "$(grep mqtt "$T/pub.err" | tr '\n' ' ')"
hot=$(grep -c '^hermes/hotword/hey-seoul/detected {' "$T/pub.sub")
expect_eq hotword-count "$hot" 2 "hotword messages"
h1=$(grep -m1 '^hermes/hotword/' "$T/pub.sub" | cut -d' ' -f2-)
expect_eq hotword-payload "$(jget "$h1" siteId)/$(jget "$h1" modelId)/$(jget "$h1" sessionId)" \
	"mayor/hey-seoul/mayor-1" "siteId/modelId/sessionId"
i1=$(grep -m1 '^hermes/intent/air-quality ' "$T/pub.sub" | cut -d' ' -f2-)
if [ -z "$i1" ]; then
	fail intent "no hermes/intent/air-quality: $(cut -c1-60 "$T/pub.sub" | tr '\n' ' ')"
else
	conf=$(grep -o '"confidenceScore":[0-9.e-]*' <<<"$i1" | cut -d: -f2)
	want_text=$(jget "$(grep -m1 '"type":"intent"' "$T/pub.out")" text)
	[[ $i1 == *'"intentName":"air-quality"'* ]] && [ -n "$conf" ] &&
		awk -v c="$conf" 'BEGIN { exit !(c > 0 && c <= 1) }' && [ "$(jget "$i1" siteId)" = mayor ] &&
		[ "$(jget "$i1" input)" = "$want_text" ] && [ "$(jget "$i1" sessionId)" = mayor-1 ] &&
		pass intent-payload || fail intent-payload "$i1 (want input \"$want_text\")"
fi
grep -q approval "$T/pub.sub" && fail public-no-private "the public mirror names the private screen" ||
	pass public-no-private
[ ! -s "$T/pub.anon" ] && pass acl-anonymous-hermes ||
	fail acl-anonymous-hermes "an anonymous client read hermes/: $(head -1 "$T/pub.anon")"

run tr trusted
grep -q '^hermes/intent/approval-documents {.*"intentName":"approval-documents"' "$T/tr.sub" &&
	pass trusted-mirror || fail trusted-mirror "no intent for the private screen with hermes = trusted"
expect_eq trusted-sessions "$(grep -o '"sessionId":"[^"]*"' "$T/tr.sub" | sort -u | tr '\n' ' ')" \
	'"sessionId":"mayor-1" "sessionId":"mayor-4" ' "one session per wake"

run off ""
[ "$(cat "$T/off.rc")" = 0 ] && [ -n "$(summary "$T/off.out")" ] && [ ! -s "$T/off.sub" ] && pass off-by-default ||
	fail off-by-default "hermes messages with the default configuration: $(head -1 "$T/off.sub")"
