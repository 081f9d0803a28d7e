# lib-mqtt.sh — private mosquitto brokers for tests/integration/mqtt*.sh (and
# the bench), sourced after tests/integration/lib.sh.  Each broker gets a
# fresh directory under the test's own, its files written by the daemon's
# own `smartofficed mqtt setup` (listeners, password file, ACL), loopback
# ports chosen free, persistence in its directory, and is ended with the
# test.  No system service is used.  A missing mosquitto is a FAIL, never
# a skip.
#
#   broker_start NAME [SETUP ARGS...]   sets MQTT_PORT[NAME], MQTT_WS[NAME], BROKER_PID[NAME]
#   broker_stop NAME [SIGNAL]           (TERM) and waits for it
#   broker_restart NAME                 the same files and ports again
#   cred NAME USER                      path of USER's password file
#   mqtt_opts NAME SITE                 the daemon's -o options for that broker and site
#   msub NAME OUT ARGS...               mosquitto_sub -v in the background (CHILD_PIDS)
#   mpub NAME ARGS...                   mosquitto_pub, status of it
#
# Users made by broker_start: smartoffice-mayor, smartoffice-songpa (the
# daemons of two sites), wall (a trusted display), ops (a commander),
# relay (a bridge).

MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
declare -A MQTT_PORT MQTT_WS BROKER_PID BROKER_DIR

need "$MOSQUITTO" /usr/bin/mosquitto_sub /usr/bin/mosquitto_pub

# free_port: a loopback TCP port nobody listens on (and not handed out yet).
_MQTT_GIVEN=" "
free_port() {
	local p
	for _ in $(seq 1 200); do
		# below the ephemeral range (32768-): no client socket holds it
		p=$((20000 + RANDOM % 12000))
		case $_MQTT_GIVEN in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
			_MQTT_GIVEN+="$p "
			echo "$p"
			return 0
		fi
	done
	return 1
}

# _broker_run NAME: starts mosquitto on NAME's files; waits until both
# ports listen (10 s).
_broker_run() {
	local name=$1 dir=${BROKER_DIR[$1]}
	"$MOSQUITTO" -c "$dir/test.conf" >>"$dir/mosquitto.log" 2>&1 &
	BROKER_PID[$name]=$!
	CHILD_PIDS+=("$!")
	for _ in $(seq 1 200); do
		if [ -n "$(ss -Htln "sport = :${MQTT_PORT[$name]}" 2>/dev/null)" ] &&
			[ -n "$(ss -Htln "sport = :${MQTT_WS[$name]}" 2>/dev/null)" ]; then
			return 0
		fi
		kill -0 "${BROKER_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	fail "broker-$name" "mosquitto did not listen on ${MQTT_PORT[$name]}/${MQTT_WS[$name]}: $(tail -3 "$dir/mosquitto.log" | tr '\n' ' ')"
	exit 1
}

broker_start() {
	local name=$1 dir=$T/broker-$1 out
	shift
	BROKER_DIR[$name]=$dir
	MQTT_PORT[$name]=$(free_port) && MQTT_WS[$name]=$(free_port) || {
		fail "broker-$name" "no free port"
		exit 1
	}
	if ! out=$("$DAEMON" mqtt setup --dir "$dir" --address 127.0.0.1 --port "${MQTT_PORT[$name]}" \
		--ws-port "${MQTT_WS[$name]}" --site mayor --site songpa --display wall --commander ops \
		--bridge relay "$@" 2>&1); then
		fail "broker-$name" "smartofficed mqtt setup failed: $out"
		exit 1
	fi
	{
		echo "include_dir $dir/conf.d"
		echo "persistence true"
		echo "persistence_location $dir/"
		echo "autosave_interval 1"
		echo "log_type error"
		echo "log_type warning"
		echo "log_type notice"
		echo "log_type information"
		# started by root, mosquitto would drop to the mosquitto user,
		# who cannot enter this test's private directory
		[ "$(id -u)" = 0 ] && echo "user root"
	} >"$dir/test.conf"
	mkdir -p "$dir/conf.d"
	cp "$dir/smartoffice.conf" "$dir/conf.d/smartoffice.conf"
	_broker_run "$name"
}

broker_stop() {
	local name=$1 sig=${2:-TERM} pid=${BROKER_PID[$1]}
	kill -s "$sig" "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	# the ports must be free again before a restart
	for _ in $(seq 1 100); do
		[ -z "$(ss -Htln "sport = :${MQTT_PORT[$name]}" 2>/dev/null)" ] && break
		sleep 0.05
	done
	return 0
}

broker_restart() { _broker_run "$1"; }

cred() { printf '%s/credentials/%s' "${BROKER_DIR[$1]}" "$2"; }

mqtt_opts() {
	local name=$1 site=$2
	printf '%s\n' -o "mqtt_url=mqtt://127.0.0.1:${MQTT_PORT[$name]}" -o "mqtt_user=smartoffice-$site" \
		-o "mqtt_password_file=$(cred "$name" "smartoffice-$site")" -o "site=$site"
}

# msub NAME OUT [-u USER] ARGS...: -u USER reads that user's password file.
msub() {
	local name=$1 out=$2 auth=()
	shift 2
	if [ "${1:-}" = -u ]; then
		auth=(-u "$2" -P "$(cat "$(cred "$name" "$2")")")
		shift 2
	fi
	mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[$name]}" "${auth[@]}" -v "$@" >"$T/$out" 2>"$T/$out.err" &
	CHILD_PIDS+=("$!")
	SUBPID=$!
}

mpub() {
	local name=$1 auth=()
	shift
	if [ "${1:-}" = -u ]; then
		auth=(-u "$2" -P "$(cat "$(cred "$name" "$2")")")
		shift 2
	fi
	mosquitto_pub -h 127.0.0.1 -p "${MQTT_PORT[$name]}" "${auth[@]}" "$@"
}

# new_token STATE_DIR ROLE NAME: a paired device's token (tokens add).
new_token() {
	"$DAEMON" --state-dir "$1" tokens add --role "$2" --name "$3" 2>/dev/null |
		grep -oE '^[A-Za-z0-9_-]{43}$' | head -1
}

# select_cmd ID CONTENT|command:ID TOKEN [SITE]: a command payload.
select_cmd() {
	local what=content id=$2
	case $2 in command:*) what=command id=${2#command:} ;; esac
	printf '{"type":"select","%s":"%s","id":"%s","token":"%s"%s}' "$what" "$id" "$1" "$3" \
		"${4:+,\"site\":\"$4\"}"
}
