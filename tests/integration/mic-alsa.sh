#!/bin/bash
# mic-alsa.sh — the real daemon capturing through the direct ALSA row
# (audio = alsa:PCM, devices/mic_alsa.c), from an ALSA device that needs no
# sound card: the test capture device of tests/unit/alsa_test_pcm.c (an
# alsa-lib plugin) in an asoundrc given by ALSA_CONFIG_PATH.  It plays a
# wake + command recording (5 s of lead-in) in real time, paced by the
# clock, as a card would.  Mid-stream the device is unplugged (its control
# file says "gone": reads fail with -ENODEV and opens fail) and plugged back
# 1.5 s later:
#  - stdout gets a mic lost event (reason from ALSA: No such device) within
#    0.5 s of the unplug, then a back event within 2 s of the return, and
#    gone_s counts the gap;
#  - the daemon logs the loss once and the return; the new PCM plays the
#    recording from its start again, and the wake and the command are
#    recognized after the return (the live path end to end);
#  - SIGTERM stops it (exit 0) while it captures: the row's reads do not
#    block the stop.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

SPEECH=$CORPUS/0002-wake-command-air-quality.wav    # "hey seoul. display the air quality"
PLUGIN=$BUILD/tests/libasound_module_pcm_sotest.so
need "$DAEMON" "$SPEECH" "$PLUGIN"

lead_in "$SPEECH" "$T/in.wav" 5
sox -R "$T/in.wav" -t raw -r 16000 -c 1 -b 16 -e signed "$T/in.raw" pad 0 4
CTL=$T/control
echo ok >"$CTL"
# ALSA's own configuration first: PortAudio (the spoken feedback's
# playback) enumerates it, and its 19.6 aborts on a configuration that has
# only the test device.
cat >"$T/asound.conf" <<EOF
</usr/share/alsa/alsa.conf>
pcm_type.sotest { lib "$PLUGIN" }
pcm.room { type sotest infile "$T/in.raw" rate 16000 channels 1 control "$CTL" }
EOF
export ALSA_CONFIG_PATH=$T/asound.conf

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

if ! start_daemon live -o audio=alsa:room --events-stdout -o engine=pocketsphinx -o speak=no -o cue=no; then
	fail start "$START_ERROR"
	exit 1
fi
check source "$(grep -q 'audio stream alsa:room starts' "$T/live.err" || echo "no \"audio stream alsa:room\" line: $(grep -i audio "$T/live.err" | tr '\n' '|')")"
sleep 1
echo gone >"$CTL"; t_gone=$(now)
if wait_for "$T/live.out" '"type":"mic"' 0.5; then
	pass lost-within-0.5s
	note "lost $(since "$t_gone") s after the unplug (polled every 0.05 s)"
else
	fail lost-within-0.5s "no mic lost event within 0.5 s of the unplug: $(summary "$T/live.out")"
fi
sleep 1.5
echo ok >"$CTL"; t_back=$(now)
if wait_for "$T/live.out" '"state":"back"' 2; then
	pass back-within-2s
	note "back $(since "$t_back") s after the return"
else
	fail back-within-2s "no mic back event within 2 s of the return: $(summary "$T/live.out")"
fi
wait_for "$T/live.out" '"type":"navigate"' 15 || true
stop_daemon "$DPID"
expect_eq stop-exit "$ST" 0 "exit status after SIGTERM ($(tail -2 "$T/live.err" | tr '\n' ' '))"

lost=$(grep '"type":"mic"' "$T/live.out" | sed -n 1p)
back=$(grep '"type":"mic"' "$T/live.out" | sed -n 2p)
r=""
[ "$(grep -c '"type":"mic"' "$T/live.out")" = 2 ] || r="$(grep -c '"type":"mic"' "$T/live.out") mic events, want 2: $(summary "$T/live.out")"
[ -n "$r" ] || [ "$(jget "$lost" state)" = lost ] || r="first mic event: ${lost:0:120}"
[ -n "$r" ] || [ "$(jget "$back" state)" = back ] || r="second mic event: ${back:0:120}"
[ -n "$r" ] || jget "$lost" reason | grep -q 'ALSA "room".*No such device' || r="lost without the reason from ALSA: ${lost:0:200}"
[ -n "$r" ] || awk -v g="$(jget "$back" gone_s)" 'BEGIN { exit !(g >= 1.4 && g <= 3.6) }' ||
	r="gone_s $(jget "$back" gone_s), want about 1.5 to 3.5 (gone 1.5 s, back within 2 s)"
check lost-back-events "$r"
check heard-after-return "$([ "$(summary <(grep -v '"type":"mic"' "$T/live.out"))" = "wake intent:air-quality navigate:air-quality" ] ||
	echo "events besides mic: $(summary "$T/live.out"), want wake intent:air-quality navigate:air-quality")"
check wake-after-back "$(awk -v b="$(jget "$back" t)" -v w="$(jget "$(grep '"type":"wake"' "$T/live.out")" t)" \
	'BEGIN { exit !(w > b) }' || echo "wake at t $(jget "$(grep '"type":"wake"' "$T/live.out")" t), back at $(jget "$back" t)")"
check log-lost-once "$([ "$(grep -c 'microphone lost' "$T/live.err")" = 1 ] ||
	echo "$(grep -c 'microphone lost' "$T/live.err") \"microphone lost\" lines")"
check log-back "$(grep -q 'microphone is back' "$T/live.err" || echo "no \"microphone is back\" line")"
check device-reopened "$([ "$(wc -l <"$CTL.opens")" -ge 3 ] ||
	echo "the device was opened $(wc -l <"$CTL.opens") times, want the first open, refused ones while gone, and the reopen")"
