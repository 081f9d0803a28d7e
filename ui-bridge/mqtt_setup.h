/*
 * mqtt_setup — `smartofficed mqtt setup`: the broker's side of docs/mqtt.md,
 * written as files for mosquitto (Debian's, or any 2.x):
 *
 *   DIR/smartoffice.conf   a config fragment: a plain MQTT listener, a
 *                          websockets listener for browsers, the password
 *                          file and the ACL (include it from mosquitto.conf,
 *                          or drop it into /etc/mosquitto/conf.d/)
 *   DIR/passwd             mosquitto password file (PBKDF2-SHA512, "$7$")
 *   DIR/acl                anonymous clients read public topics only; each
 *                          site's daemon writes its own topics and reads its
 *                          commands; displays read trusted topics;
 *                          commanders also write commands; bridges read public
 *   DIR/credentials/USER   each user's password (0600), e.g. a daemon's
 *                          mqtt_password_file; kept when the setup runs again
 */
#ifndef SO_MQTT_SETUP_H
#define SO_MQTT_SETUP_H

#include <stddef.h>

#define MQTT_SETUP_MAX_USERS 64

struct mqtt_setup {
	const char *dir;
	const char *address;       /* listeners bind here ("" : every address) */
	int         port, ws_port;
	const char *sites[MQTT_SETUP_MAX_USERS];     size_t nsites;
	const char *displays[MQTT_SETUP_MAX_USERS];  size_t ndisplays;
	const char *commanders[MQTT_SETUP_MAX_USERS]; size_t ncommanders;
	const char *bridges[MQTT_SETUP_MAX_USERS];   size_t nbridges;
};

/* Writes the files; 0, or -1 with err. */
int mqtt_setup_write(const struct mqtt_setup *s, char *err, size_t errlen);
/* The ACL text alone (malloc'd), for tests and the docs. */
char *mqtt_setup_acl(const struct mqtt_setup *s);
/* One mosquitto password file line "user:$7$101$salt$hash" (no newline)
 * for password with the given 12-byte salt; 0 or -1. */
int mqtt_setup_hash(const char *user, const char *password, const unsigned char salt[12],
                    char *out, size_t outlen);
/* `smartofficed mqtt setup [--dir DIR] [--address A] [--port N] [--ws-port N]
 *  [--site S]... [--display U]... [--commander U]... [--bridge U]...`;
 * the configuration's site when no --site.  Exit status. */
int mqtt_setup_cli(int argc, char **argv, const char *default_site);

#endif
