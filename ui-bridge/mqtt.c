/*
 * mqtt — see mqtt.h.  One libmosquitto client per daemon, its network
 * thread started with mosquitto_loop_start(); a mutex guards what both
 * threads touch: the connected flag, the buffer of trusted messages kept
 * while the broker is away, the retained state, the command inbox and the
 * ids already seen.
 */
#include "ui-bridge/mqtt.h"
#include "base/clock.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/log.h"

#define INBOX_MAX 256      /* commands waiting for the service thread */
#define SEEN_MAX  1024     /* command ids remembered for deduplication */

enum topic { T_PUB_EVENTS, T_PUB_STATE, T_TR_EVENTS, T_TR_STATE, T_REPLIES, T_STATUS, T_COMMAND, T_N };

static const char *const topic_tail[T_N] = {
	"public/events", "public/state", "trusted/events", "trusted/state", "trusted/replies",
	"status", "command",
};

struct held {                 /* a trusted message kept while the broker is down */
	enum topic topic;
	char      *payload;
	size_t     len;
};

struct mqtt {
	struct mosquitto *mosq;
	char   host[256];
	int    port, tls, keepalive;
	char   site[MQTT_ID_MAX + 1];
	char   wake_id[MQTT_ID_MAX + 1];
	char   topics[T_N][128];
	char   session[96];        /* Hermes sessionId: SITE-SEQ of the last wake */
	enum mqtt_hermes hermes;
	void (*wakeup)(void *ud);
	void  *ud;

	pthread_mutex_t lock;      /* everything below */
	int    connected, refused_logged;
	long   inflight;           /* QoS 1 messages not yet acknowledged */
	double down_since;         /* CLOCK_MONOTONIC; 0: never connected yet */
	struct held *ring;         /* trusted messages while down: oldest first */
	size_t ring_cap, ring_head, ring_n;
	uint64_t outage_dropped;
	char  *state[2];           /* retained hellos: public, trusted */
	struct mqtt_command *inbox;
	size_t inbox_head, inbox_n;
	char  (*seen)[MQTT_ID_MAX + 1];
	size_t seen_next, seen_n;
	struct mqtt_stats st;

	/* The first connection, when the broker was not there at start: a
	 * thread of ours retries it with back-off (libmosquitto's own loop only
	 * reconnects once it has been connected), then starts that loop. */
	pthread_t       first_tid;
	int             first_running, loop_started, stopping;
	pthread_cond_t  first_cond;
	double          backoff_min, backoff_max;
};

/* ---- parsing (pure) ---- */

int
mqtt_site_valid(const char *site)
{
	size_t n = site != NULL ? strlen(site) : 0;

	if (n == 0 || n > MQTT_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)site[i]) && site[i] != '-' && site[i] != '_')
			return 0;
	return 1;
}

int
mqtt_parse_url(const char *url, char *host, size_t hostlen, int *port, int *tls, char *err,
               size_t errlen)
{
	const char *p, *colon;
	size_t n;
	char *end;
	long v;

	if (strncmp(url, "mqtt://", 7) == 0) {
		*tls = 0;
		p = url + 7;
	} else if (strncmp(url, "mqtts://", 8) == 0) {
		*tls = 1;
		p = url + 8;
	} else {
		log_seterr(err, errlen, "\"%s\": the broker's URL is mqtt://HOST[:PORT] or mqtts://HOST[:PORT]", url);
		return -1;
	}
	*port = *tls ? 8883 : 1883;
	if (*p == '[') {	/* [IPv6]:port */
		const char *close = strchr(p, ']');
		if (close == NULL) {
			log_seterr(err, errlen, "\"%s\": an IPv6 address needs its closing ]", url);
			return -1;
		}
		n = (size_t)(close - p - 1);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && close[1] != ':' && close[1] != '/') {
			log_seterr(err, errlen, "\"%s\": unexpected text after the address", url);
			return -1;
		}
		p++;
	} else {
		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strcspn(p, "/");
	}
	if (n == 0 || n >= hostlen) {
		log_seterr(err, errlen, "\"%s\": no broker host (or one too long)", url);
		return -1;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	if (colon != NULL) {
		errno = 0;
		v = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || (*end != '\0' && *end != '/') || v < 1 || v > 65535) {
			log_seterr(err, errlen, "\"%s\": the port must be 1..65535", url);
			return -1;
		}
		*port = (int)v;
	}
	return 0;
}

static int
id_char_ok(const char *s, int printable_only)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (printable_only ? (c < 0x21 || c > 0x7e || c == '"' || c == '\\') :
		    !(islower(c) || isdigit(c) || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* A string member into buf (max bytes); 1 present, 0 absent, -1 bad. */
static int
str_member(const json_t *o, const char *key, char *buf, size_t max, int printable, char *err,
           size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		log_seterr(err, errlen, "\"%s\" must be a string", key);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n) {
		log_seterr(err, errlen, "\"%s\" must have 1 to %zu bytes", key, max);
		return -1;
	}
	if (printable >= 0 && !id_char_ok(s, printable)) {
		log_seterr(err, errlen, "\"%s\" has characters it may not have", key);
		return -1;
	}
	memcpy(buf, s, n + 1);
	return 1;
}

int
mqtt_parse_command(const char *payload, size_t len, struct mqtt_command *out, char *err,
                   size_t errlen)
{
	json_error_t jerr;
	json_t *o, *id;
	int rc = -1, hc, hm;
	const char *type;

	memset(out, 0, sizeof *out);
	if (len > MQTT_PAYLOAD_MAX) {
		log_seterr(err, errlen, "a command has at most %d bytes", MQTT_PAYLOAD_MAX);
		return -1;
	}
	if ((o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		log_seterr(err, errlen, "not JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		log_seterr(err, errlen, "a command is a JSON object");
		goto out;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL || strcmp(type, "select") != 0) {
		log_seterr(err, errlen, "\"type\" must be \"select\"");
		goto out;
	}
	snprintf(out->type, sizeof out->type, "select");
	id = json_object_get(o, "id");
	if (json_is_integer(id) && json_integer_value(id) >= 0) {
		snprintf(out->id, sizeof out->id, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		out->id_is_number = 1;
	} else if (json_is_string(id)) {
		if (str_member(o, "id", out->id, MQTT_ID_MAX, 1, err, errlen) != 1)
			goto out;
	} else {
		log_seterr(err, errlen, "\"id\" (a string or a non-negative integer) is required: it makes redelivery harmless");
		goto out;
	}
	if (str_member(o, "token", out->token, MQTT_TOKEN_MAX, 1, err, errlen) != 1) {
		if (out->token[0] == '\0' && json_object_get(o, "token") == NULL)
			log_seterr(err, errlen, "\"token\" (a paired device's token) is required");
		goto out;
	}
	if ((hc = str_member(o, "content", out->content, MQTT_ID_MAX, 0, err, errlen)) < 0 ||
	    (hm = str_member(o, "command", out->command, MQTT_ID_MAX, 0, err, errlen)) < 0)
		goto out;
	if (hc == hm) {
		log_seterr(err, errlen, "select needs one string member: content or command");
		goto out;
	}
	if (str_member(o, "site", out->site, MQTT_ID_MAX, -1, err, errlen) < 0 ||
	    (out->site[0] && !mqtt_site_valid(out->site))) {
		if (out->site[0])
			log_seterr(err, errlen, "\"site\" is not a site id");
		goto out;
	}
	if (str_member(o, "from", out->from, MQTT_ID_MAX, 1, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	json_decref(o);
	if (rc < 0) {
		char keep[MQTT_ID_MAX + 1];
		int num = out->id_is_number;
		memcpy(keep, out->id, sizeof keep);
		memset(out, 0, sizeof *out);
		memcpy(out->id, keep, sizeof keep);	/* so that the error can name it */
		out->id_is_number = num;
	}
	return rc;
}

/* ---- publishing (lock held) ---- */

static int
send_locked(struct mqtt *m, const char *topic, const char *payload, size_t len, int qos, int retain)
{
	int rc = mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, qos, retain);

	if (rc == MOSQ_ERR_SUCCESS) {
		m->st.published++;
		if (qos > 0)
			m->inflight++;
	}
	return rc;
}

/* A trusted message: sent, or kept (the oldest goes when the buffer is full). */
static void
trusted_locked(struct mqtt *m, enum topic t, const char *payload, size_t len)
{
	struct held *h;

	if (m->connected && send_locked(m, m->topics[t], payload, len, 1, 0) == MOSQ_ERR_SUCCESS)
		return;
	if (m->ring_cap == 0) {
		m->st.dropped++;
		m->outage_dropped++;
		return;
	}
	if (m->ring_n == m->ring_cap) {
		h = &m->ring[m->ring_head];
		free(h->payload);
		m->ring_head = (m->ring_head + 1) % m->ring_cap;
		m->ring_n--;
		m->st.dropped++;
		m->outage_dropped++;
	}
	h = &m->ring[(m->ring_head + m->ring_n) % m->ring_cap];
	if ((h->payload = malloc(len + 1)) == NULL) {
		m->st.dropped++;
		return;
	}
	memcpy(h->payload, payload, len);
	h->payload[len] = '\0';
	h->len = len;
	h->topic = t;
	m->ring_n++;
	m->st.buffered++;
}

static void
publish_state_locked(struct mqtt *m)
{
	if (m->state[0] != NULL)
		send_locked(m, m->topics[T_PUB_STATE], m->state[0], strlen(m->state[0]), 1, 1);
	if (m->state[1] != NULL)
		send_locked(m, m->topics[T_TR_STATE], m->state[1], strlen(m->state[1]), 1, 1);
}

/* ---- the network thread's callbacks ---- */

static void
reply_locked(struct mqtt *m, const struct mqtt_command *c, const char *code, const char *message,
             int duplicate)
{
	json_t *r = json_object();
	char *s;

	json_object_set_new(r, "type", json_string(code == NULL ? "ok" : "error"));
	if (c->id[0])
		json_object_set_new(r, "id", c->id_is_number ? json_integer(strtoll(c->id, NULL, 10)) :
		    json_string(c->id));
	if (code != NULL) {
		json_object_set_new(r, "code", json_string(code));
		json_object_set_new(r, "message", json_string(message != NULL ? message : code));
	}
	if (duplicate)
		json_object_set_new(r, "duplicate", json_true());
	json_object_set_new(r, "site", json_string(m->site));
	if ((s = json_dumps(r, JSON_COMPACT)) != NULL)
		trusted_locked(m, T_REPLIES, s, strlen(s));
	free(s);
	json_decref(r);
}

static void
on_connect(struct mosquitto *mosq, void *ud, int rc, int flags)
{
	struct mqtt *m = ud;
	static const char online[] = "{\"online\":true}";
	size_t sent = 0;
	double down;

	if (rc != 0) {
		pthread_mutex_lock(&m->lock);
		if (!m->refused_logged)
			log_warnx("mqtt: %s:%d refused the connection: %s (retrying with back-off)", m->host,
			    m->port, mosquitto_connack_string(rc));
		m->refused_logged = 1;
		pthread_mutex_unlock(&m->lock);
		return;
	}
	mosquitto_subscribe(mosq, NULL, m->topics[T_COMMAND], 1);
	pthread_mutex_lock(&m->lock);
	m->connected = 1;
	m->refused_logged = 0;
	m->st.connected = 1;
	m->st.connects++;
	send_locked(m, m->topics[T_STATUS], online, sizeof online - 1, 1, 1);
	publish_state_locked(m);
	while (m->ring_n > 0) {
		struct held *h = &m->ring[m->ring_head];
		if (send_locked(m, m->topics[h->topic], h->payload, h->len, 1, 0) != MOSQ_ERR_SUCCESS)
			break;
		free(h->payload);
		m->ring_head = (m->ring_head + 1) % m->ring_cap;
		m->ring_n--;
		sent++;
	}
	down = m->down_since > 0 ? clock_mono() - m->down_since : -1;
	if (down < 0)
		log_info("mqtt: connected to %s:%d, site \"%s\"%s", m->host, m->port, m->site,
		    (flags & 1) ? " (session resumed)" : "");
	else
		log_info("mqtt: reconnected to %s:%d after %.1f s: %zu buffered trusted messages sent, "
		    "%llu dropped, retained state republished", m->host, m->port, down, sent,
		    (unsigned long long)m->outage_dropped);
	m->outage_dropped = 0;
	pthread_mutex_unlock(&m->lock);
}

static void
on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
	struct mqtt *m = ud;

	pthread_mutex_lock(&m->lock);
	if (m->connected) {
		m->down_since = clock_mono();
		m->st.disconnects++;
		if (rc != 0)
			log_warnx("mqtt: lost the broker %s:%d (%s): working locally, keeping up to %zu "
			    "trusted messages, reconnecting with back-off", m->host, m->port,
			    mosquitto_strerror(rc), m->ring_cap);
	}
	m->connected = 0;
	m->st.connected = 0;
	m->inflight = 0;
	pthread_mutex_unlock(&m->lock);
}

static void
on_publish(struct mosquitto *mosq, void *ud, int mid)
{
	struct mqtt *m = ud;

	pthread_mutex_lock(&m->lock);
	if (m->inflight > 0)
		m->inflight--;
	pthread_mutex_unlock(&m->lock);
}

/* Was this id seen already?  Remembers it when not. */
static int
seen_locked(struct mqtt *m, const char *id)
{
	for (size_t i = 0; i < m->seen_n; i++)
		if (strcmp(m->seen[i], id) == 0)
			return 1;
	snprintf(m->seen[m->seen_next], sizeof m->seen[0], "%s", id);
	m->seen_next = (m->seen_next + 1) % SEEN_MAX;
	if (m->seen_n < SEEN_MAX)
		m->seen_n++;
	return 0;
}

static void
on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *msg)
{
	struct mqtt *m = ud;
	struct mqtt_command c;
	char err[160];
	int wake = 0;

	if (strcmp(msg->topic, m->topics[T_COMMAND]) != 0)
		return;
	if (msg->retain) {	/* a retained command would run again at every subscribe */
		log_warnx("mqtt: a retained message on %s ignored (commands are never retained)", msg->topic);
		return;
	}
	pthread_mutex_lock(&m->lock);
	if (mqtt_parse_command(msg->payload, (size_t)msg->payloadlen, &c, err, sizeof err) < 0) {
		m->st.malformed++;
		log_warnx("mqtt: command refused: %s", err);
		reply_locked(m, &c, "bad-request", err, 0);
	} else if (c.site[0] && strcmp(c.site, m->site) != 0) {
		m->st.malformed++;
		reply_locked(m, &c, "bad-request", "the command names another site", 0);
	} else if (seen_locked(m, c.id)) {
		m->st.duplicates++;
		log_debug("mqtt: command %s again (redelivery): not carried out twice", c.id);
		reply_locked(m, &c, NULL, NULL, 1);
	} else if (m->inbox_n == INBOX_MAX) {
		reply_locked(m, &c, "busy", "too many commands at once; send it again", 0);
		/* Not carried out: let a resend with the same id through. */
		m->seen_next = (m->seen_next + SEEN_MAX - 1) % SEEN_MAX;
		m->seen_n--;
	} else {
		m->inbox[(m->inbox_head + m->inbox_n) % INBOX_MAX] = c;
		m->inbox_n++;
		m->st.commands++;
		wake = 1;
	}
	pthread_mutex_unlock(&m->lock);
	if (wake && m->wakeup != NULL)
		m->wakeup(m->ud);
}

/* ---- the Hermes mirror ---- */

static void
hermes(struct mqtt *m, const char *text, size_t len)
{
	json_t *ev = json_loadb(text, len, 0, NULL), *p = NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
	char topic[192], session[96];
	char *s;

	if (type == NULL)
		goto out;
	/* One session from a wake to its decision; a decision without a wake
	 * (a remote's voice button) is a session of its own. */
	if (strcmp(type, "wake") == 0 || m->session[0] == '\0')
		snprintf(m->session, sizeof m->session, "%s-%" JSON_INTEGER_FORMAT, m->site, seq);
	snprintf(session, sizeof session, "%s", m->session);
	if (strcmp(type, "intent") == 0 || strcmp(type, "rejected") == 0)
		m->session[0] = '\0';
	if (strcmp(type, "wake") == 0) {
		snprintf(topic, sizeof topic, "hermes/hotword/%s/detected", m->wake_id);
		p = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:n}", "siteId", m->site, "modelId", m->wake_id,
		    "modelVersion", "", "modelType", "personal", "currentSensitivity", 1.0, "sessionId",
		    session, "lang");
	} else if (strcmp(type, "intent") == 0) {
		const char *name = json_string_value(json_object_get(ev, "content"));
		const char *text_ = json_string_value(json_object_get(ev, "text"));
		double conf = json_number_value(json_object_get(ev, "confidence"));
		if (name == NULL)
			name = json_string_value(json_object_get(ev, "command"));
		if (name == NULL || !mqtt_site_valid(name))
			goto out;
		snprintf(topic, sizeof topic, "hermes/intent/%s", name);
		p = json_pack("{s:s, s:s, s:{s:s, s:f}, s:[], s:s, s:s, s:s, s:f, s:s}",
		    "input", text_ != NULL ? text_ : "", "rawInput", text_ != NULL ? text_ : "",
		    "intent", "intentName", name, "confidenceScore", conf, "slots", "siteId", m->site,
		    "sessionId", session, "id", session, "asrConfidence", conf, "wakewordId", m->wake_id);
		if (p != NULL && json_object_get(ev, "source") != NULL)
			json_object_set(p, "customData", json_object_get(ev, "source"));
	} else if (strcmp(type, "rejected") == 0) {
		const char *text_ = json_string_value(json_object_get(ev, "text"));
		snprintf(topic, sizeof topic, "hermes/dialogueManager/intentNotRecognized");
		p = json_pack("{s:s, s:s, s:s, s:s}", "siteId", m->site, "sessionId", session, "input",
		    text_ != NULL ? text_ : "", "customData",
		    json_string_value(json_object_get(ev, "reason")) != NULL ?
		    json_string_value(json_object_get(ev, "reason")) : "");
	}
	if (p != NULL && (s = json_dumps(p, JSON_COMPACT)) != NULL) {
		pthread_mutex_lock(&m->lock);
		if (m->connected)
			send_locked(m, topic, s, strlen(s), 0, 0);
		pthread_mutex_unlock(&m->lock);
		free(s);
	}
out:
	json_decref(p);
	json_decref(ev);
}

static void *
first_connect(void *arg)
{
	struct mqtt *m = arg;
	double delay = m->backoff_min;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		struct timespec ts;
		double until;
		clock_gettime(CLOCK_REALTIME, &ts);
		until = (double)ts.tv_sec + ts.tv_nsec / 1e9 + delay;
		ts.tv_sec = (time_t)until;
		ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(&m->first_cond, &m->lock, &ts);
		if (m->stopping)
			break;
		pthread_mutex_unlock(&m->lock);
		if (mosquitto_connect_async(m->mosq, m->host, m->port, m->keepalive) == MOSQ_ERR_SUCCESS) {
			int rc = mosquitto_loop_start(m->mosq);
			pthread_mutex_lock(&m->lock);
			if (rc == MOSQ_ERR_SUCCESS)
				m->loop_started = 1;
			else
				log_warnx("mqtt: mosquitto_loop_start: %s", mosquitto_strerror(rc));
			break;
		}
		pthread_mutex_lock(&m->lock);
		delay = delay * 2 > m->backoff_max ? m->backoff_max : delay * 2;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* ---- the service thread's calls ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_init(void)
{
	mosquitto_lib_init();
}

/* The password: first line of a file only its owner may read. */
static int
read_password(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		log_seterr(err, errlen, "mqtt_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		log_seterr(err, errlen, "mqtt_password_file %s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a file" : "readable by others (chmod 600 it)");
		fclose(f);
		return -1;
	}
	if (fgets(buf, (int)len, f) == NULL) {
		log_seterr(err, errlen, "mqtt_password_file %s: empty", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

struct mqtt *
mqtt_new(const struct mqtt_config *cfg, void (*wakeup)(void *ud), void *ud, char *err, size_t errlen)
{
	struct mqtt *m;
	char pw[256] = "", client_id[96];
	int rc;
	static const char offline[] = "{\"online\":false}";

	if (!mqtt_site_valid(cfg->site)) {
		log_seterr(err, errlen, "site \"%s\": 1 to 64 letters, digits, - or _", cfg->site ? cfg->site : "");
		return NULL;
	}
	if ((m = calloc(1, sizeof *m)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->first_cond, NULL);
	m->backoff_min = cfg->backoff_min_s >= 1 ? cfg->backoff_min_s : 1;
	m->backoff_max = cfg->backoff_max_s >= m->backoff_min ? cfg->backoff_max_s : 30;
	m->wakeup = wakeup;
	m->ud = ud;
	m->hermes = cfg->hermes;
	m->keepalive = cfg->keepalive_s > 0 ? cfg->keepalive_s : 30;
	snprintf(m->site, sizeof m->site, "%s", cfg->site);
	snprintf(m->wake_id, sizeof m->wake_id, "%s",
	    cfg->wake_id != NULL && mqtt_site_valid(cfg->wake_id) ? cfg->wake_id : "hey-seoul");
	for (int t = 0; t < T_N; t++)
		snprintf(m->topics[t], sizeof m->topics[t], "smartoffice/%s/%s", m->site, topic_tail[t]);
	if (mqtt_parse_url(cfg->url, m->host, sizeof m->host, &m->port, &m->tls, err, errlen) < 0)
		goto fail;
	if (cfg->password_file != NULL && cfg->password_file[0] &&
	    read_password(cfg->password_file, pw, sizeof pw, err, errlen) < 0)
		goto fail;
	m->ring_cap = cfg->buffer;
	m->ring = calloc(m->ring_cap + 1, sizeof *m->ring);
	m->inbox = calloc(INBOX_MAX, sizeof *m->inbox);
	m->seen = calloc(SEEN_MAX, sizeof *m->seen);
	if (m->ring == NULL || m->inbox == NULL || m->seen == NULL) {
		log_seterr(err, errlen, "out of memory");
		goto fail;
	}
	pthread_once(&lib_once, lib_init);
	/* A fixed id and a kept session: the broker holds the commands sent
	 * while the daemon is away (QoS 1), and gives them on reconnect. */
	snprintf(client_id, sizeof client_id, "smartofficed-%s", m->site);
	if ((m->mosq = mosquitto_new(client_id, false, m)) == NULL) {
		log_seterr(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto fail;
	}
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	/* One small message at a time: Nagle's delay would be most of the latency. */
	mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	if (cfg->user != NULL && cfg->user[0] &&
	    (rc = mosquitto_username_pw_set(m->mosq, cfg->user, pw[0] ? pw : NULL)) != MOSQ_ERR_SUCCESS) {
		log_seterr(err, errlen, "mqtt_user: %s", mosquitto_strerror(rc));
		goto fail;
	}
	memset(pw, 0, sizeof pw);
	if (m->tls) {
		const char *ca = cfg->cafile && cfg->cafile[0] ? cfg->cafile : NULL;
		const char *cap = cfg->capath && cfg->capath[0] ? cfg->capath : NULL;
		if (ca == NULL && cap == NULL)
			cap = "/etc/ssl/certs";
		rc = mosquitto_tls_set(m->mosq, ca, cap, cfg->certfile && cfg->certfile[0] ? cfg->certfile : NULL,
		    cfg->keyfile && cfg->keyfile[0] ? cfg->keyfile : NULL, NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			log_seterr(err, errlen, "mqtt TLS files: %s", mosquitto_strerror(rc));
			goto fail;
		}
		if (cfg->tls_insecure)
			mosquitto_tls_insecure_set(m->mosq, true);
	}
	if ((rc = mosquitto_will_set(m->mosq, m->topics[T_STATUS], sizeof offline - 1, offline, 1, true)) !=
	    MOSQ_ERR_SUCCESS) {
		log_seterr(err, errlen, "mosquitto_will_set: %s", mosquitto_strerror(rc));
		goto fail;
	}
	mosquitto_reconnect_delay_set(m->mosq, (unsigned)m->backoff_min, (unsigned)m->backoff_max, true);
	mosquitto_connect_with_flags_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_message_callback_set(m->mosq, on_message);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	rc = mosquitto_connect_async(m->mosq, m->host, m->port, m->keepalive);
	m->down_since = 0;
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warnx("mqtt: broker %s:%d not reached (%s): working locally, retrying with back-off",
		    m->host, m->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		m->down_since = clock_mono();
		if (pthread_create(&m->first_tid, NULL, first_connect, m) != 0) {
			log_seterr(err, errlen, "cannot start the MQTT connection thread");
			goto fail;
		}
		m->first_running = 1;
		return m;
	}
	if ((rc = mosquitto_loop_start(m->mosq)) != MOSQ_ERR_SUCCESS) {
		log_seterr(err, errlen, "mosquitto_loop_start: %s", mosquitto_strerror(rc));
		goto fail;
	}
	m->loop_started = 1;
	return m;
fail:
	memset(pw, 0, sizeof pw);
	if (m->mosq != NULL)
		mosquitto_destroy(m->mosq);
	free(m->ring);
	free(m->inbox);
	free(m->seen);
	pthread_cond_destroy(&m->first_cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return NULL;
}

int
mqtt_wait_connected(struct mqtt *m, double seconds)
{
	double until = clock_mono() + seconds;
	int up = 0;

	while (m != NULL) {
		pthread_mutex_lock(&m->lock);
		up = m->connected || m->first_running || (m->refused_logged && m->st.connects == 0);
		pthread_mutex_unlock(&m->lock);
		if (up || clock_mono() >= until)
			break;
		clock_sleep(0.010);
	}
	return m != NULL && m->connected;
}

void
mqtt_publish_event(struct mqtt *m, const char *trusted, size_t len, const char *pub, size_t publen)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	trusted_locked(m, T_TR_EVENTS, trusted, len);
	if (pub != NULL) {
		if (m->connected)
			send_locked(m, m->topics[T_PUB_EVENTS], pub, publen, 0, 0);
		else
			m->st.public_dropped++;
	}
	pthread_mutex_unlock(&m->lock);
	if (m->hermes == MQTT_HERMES_TRUSTED)
		hermes(m, trusted, len);
	else if (m->hermes == MQTT_HERMES_PUBLIC && pub != NULL)
		hermes(m, pub, publen);
}

void
mqtt_set_state(struct mqtt *m, const char *pub_hello, const char *trusted_hello)
{
	const char *v[2] = { pub_hello, trusted_hello };
	static const enum topic t[2] = { T_PUB_STATE, T_TR_STATE };

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < 2; i++) {
		char *copy;
		if (v[i] == NULL || (m->state[i] != NULL && strcmp(m->state[i], v[i]) == 0))
			continue;
		if ((copy = strdup(v[i])) == NULL)
			continue;
		free(m->state[i]);
		m->state[i] = copy;
		if (m->connected)
			send_locked(m, m->topics[t[i]], copy, strlen(copy), 1, 1);
	}
	pthread_mutex_unlock(&m->lock);
}

size_t
mqtt_drain(struct mqtt *m, void (*fn)(void *ud, struct mqtt *m, const struct mqtt_command *c), void *ud)
{
	size_t n = 0;
	struct mqtt_command c;

	if (m == NULL)
		return 0;
	for (;;) {
		pthread_mutex_lock(&m->lock);
		if (m->inbox_n == 0) {
			pthread_mutex_unlock(&m->lock);
			return n;
		}
		c = m->inbox[m->inbox_head];
		m->inbox_head = (m->inbox_head + 1) % INBOX_MAX;
		m->inbox_n--;
		pthread_mutex_unlock(&m->lock);
		fn(ud, m, &c);
		n++;
	}
}

void
mqtt_reply(struct mqtt *m, const struct mqtt_command *c, const char *code, const char *message)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	reply_locked(m, c, code, message, 0);
	pthread_mutex_unlock(&m->lock);
}

void
mqtt_get_stats(struct mqtt *m, struct mqtt_stats *st)
{
	pthread_mutex_lock(&m->lock);
	*st = m->st;
	pthread_mutex_unlock(&m->lock);
}

const char *
mqtt_site(const struct mqtt *m)
{
	return m->site;
}

void
mqtt_free(struct mqtt *m)
{
	static const char offline[] = "{\"online\":false}";

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	if (m->connected)
		send_locked(m, m->topics[T_STATUS], offline, sizeof offline - 1, 1, 1);
	if (m->ring_n > 0)
		log_warnx("mqtt: %zu trusted messages still buffered at exit (the broker was away)", m->ring_n);
	pthread_mutex_unlock(&m->lock);
	/* Let the network thread finish what is in flight (at most 1 s), then go. */
	for (int i = 0; i < 50; i++) {
		int busy;
		pthread_mutex_lock(&m->lock);
		busy = m->connected && m->inflight > 0;
		pthread_mutex_unlock(&m->lock);
		if (!busy)
			break;
		clock_sleep(0.020);
	}
	if (m->first_running) {
		pthread_mutex_lock(&m->lock);
		m->stopping = 1;
		pthread_cond_signal(&m->first_cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->first_tid, NULL);
	}
	mosquitto_disconnect(m->mosq);
	if (m->loop_started)
		mosquitto_loop_stop(m->mosq, false);
	mosquitto_destroy(m->mosq);
	for (size_t i = 0; i < m->ring_n; i++)
		free(m->ring[(m->ring_head + i) % m->ring_cap].payload);
	free(m->ring);
	free(m->state[0]);
	free(m->state[1]);
	free(m->inbox);
	free(m->seen);
	pthread_cond_destroy(&m->first_cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
