/*
 * mqtt — the daemon's events on an MQTT broker (libmosquitto), for viewers
 * the daemon should not fan out to itself: public kiosks and citizens'
 * browsers, other rooms' trusted walls, Rhasspy / Home Assistant tooling.
 * docs/mqtt.md is the contract (topics, payloads, ACL).
 *
 * What is published is what the daemon already decided per view: the
 * caller hands mqtt_publish_event() the trusted text and the public text
 * (or none), the same two texts the websocket bridge writes; this module
 * never filters and never looks inside a trusted text to make a public one.
 *
 *   smartoffice/SITE/public/events    public texts, QoS 0
 *   smartoffice/SITE/public/state     retained: the public hello (screen, catalogue)
 *   smartoffice/SITE/trusted/events   trusted texts, QoS 1 (buffered while the broker is down)
 *   smartoffice/SITE/trusted/state    retained: the trusted hello
 *   smartoffice/SITE/trusted/replies  answers to commands, QoS 1
 *   smartoffice/SITE/status           retained {"online":true|false} (the will says false)
 *   smartoffice/SITE/command          in: {"type":"select","content"|"command":ID,"id":ID,"token":T}, QoS 1
 *   hermes/hotword/ID/detected, hermes/intent/NAME,
 *   hermes/dialogueManager/intentNotRecognized   the Hermes mirror (off by default)
 *
 * Threads: libmosquitto runs its own network thread (mosquitto_loop_start);
 * it reconnects with exponential back-off and puts received commands in a
 * small mutex-protected inbox, then calls the wakeup given to mqtt_new().
 * Everything else (publish, drain, reply, free) is the service thread's.
 */
#ifndef SO_MQTT_H
#define SO_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct mqtt;

enum mqtt_hermes { MQTT_HERMES_OFF, MQTT_HERMES_PUBLIC, MQTT_HERMES_TRUSTED };

struct mqtt_config {
	const char *url;            /* mqtt://HOST[:PORT] or mqtts://HOST[:PORT] */
	const char *user;           /* "" or NULL: anonymous */
	const char *password_file;  /* first line is the password; not readable by others */
	const char *cafile, *capath, *certfile, *keyfile;  /* TLS (mqtts://) */
	int         tls_insecure;   /* do not check the broker's host name (tests) */
	const char *site;           /* site id: [A-Za-z0-9_-]{1,64} */
	enum mqtt_hermes hermes;
	const char *wake_id;        /* hermes/hotword/<wake_id>/detected */
	size_t      buffer;         /* trusted messages kept while the broker is down */
	double      backoff_min_s, backoff_max_s;
	int         keepalive_s;
};

#define MQTT_ID_MAX     64
#define MQTT_TOKEN_MAX  128
#define MQTT_PAYLOAD_MAX 4096

/* One command from smartoffice/SITE/command, checked for form (the
 * sender's token is the caller's to check). */
struct mqtt_command {
	char id[MQTT_ID_MAX + 1];        /* the publisher's id (string or integer as text) */
	int  id_is_number;               /* it was a JSON integer: echoed as one */
	char site[MQTT_ID_MAX + 1];      /* optional: the site it is meant for */
	char type[16];                   /* "select" */
	char content[MQTT_ID_MAX + 1];   /* exactly one of content and command */
	char command[MQTT_ID_MAX + 1];
	char token[MQTT_TOKEN_MAX + 1];  /* a paired device's token (smartofficed tokens add) */
	char from[MQTT_ID_MAX + 1];      /* optional name of the sender, for the log */
};

/* Counters since mqtt_new (service thread). */
struct mqtt_stats {
	int      connected;
	uint64_t connects, disconnects;
	uint64_t published, buffered, dropped, public_dropped;
	uint64_t commands, duplicates, malformed;
};

/*
 * Parses a command payload (at most MQTT_PAYLOAD_MAX bytes): a JSON object,
 * no duplicate keys, "type" "select", an "id" (string of 1..64 printable
 * bytes, or a non-negative integer), "token" (string), exactly one of
 * "content" / "command" (1..64 bytes of [a-z0-9-_]), optional "from".
 * Returns 0, or -1 with the reason in err.  Pure: the fuzz target.
 */
int  mqtt_parse_command(const char *payload, size_t len, struct mqtt_command *out,
                        char *err, size_t errlen);
/* Is this a valid site id ([A-Za-z0-9_-], 1..64)? */
int  mqtt_site_valid(const char *site);
/* Splits mqtt[s]://HOST[:PORT]; 0, or -1 with err. */
int  mqtt_parse_url(const char *url, char *host, size_t hostlen, int *port, int *tls,
                    char *err, size_t errlen);

/* Connects in the background (the broker may be down: the daemon runs on).
 * NULL with err only for a bad configuration. */
struct mqtt *mqtt_new(const struct mqtt_config *cfg, void (*wakeup)(void *ud), void *ud,
                      char *err, size_t errlen);
/* Start-up: waits (at most seconds) for the first connection, so that a
 * replayed session's first events are not decided before the broker hears
 * them.  1 connected, 0 not (the daemon goes on; the thread keeps trying). */
int  mqtt_wait_connected(struct mqtt *m, double seconds);
/* One event: trusted text, public text (NULL: not for the public). */
void mqtt_publish_event(struct mqtt *m, const char *trusted, size_t len, const char *pub,
                        size_t publen);
/* The retained state (hellos of both views); published when changed and
 * again after every reconnect.  Either may be NULL (unchanged). */
void mqtt_set_state(struct mqtt *m, const char *pub_hello, const char *trusted_hello);
/* Service thread: hands each command in the inbox to fn, in order.
 * Returns how many. */
size_t mqtt_drain(struct mqtt *m, void (*fn)(void *ud, struct mqtt *m, const struct mqtt_command *c),
                  void *ud);
/* Answer a command on trusted/replies: code NULL is "ok", else an error
 * code (docs/protocol.md) with a message. */
void mqtt_reply(struct mqtt *m, const struct mqtt_command *c, const char *code, const char *message);
void mqtt_get_stats(struct mqtt *m, struct mqtt_stats *st);
const char *mqtt_site(const struct mqtt *m);
/* Says offline (retained), disconnects, stops the thread, frees. */
void mqtt_free(struct mqtt *m);

#endif
