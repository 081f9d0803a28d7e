/*
 * mqtt_setup — see mqtt_setup.h.
 */
#include "ui-bridge/mqtt_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/log.h"
#include "ui-bridge/mqtt.h"

/* Standard base64 with padding (what mosquitto_passwd writes). */
static void
b64(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

int
mqtt_setup_hash(const char *user, const char *password, const unsigned char salt[12], char *out,
                size_t outlen)
{
	unsigned char hash[64];
	char s64[32], h64[96];

	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, 12, 101, EVP_sha512(), sizeof hash,
	    hash) != 1)
		return -1;
	b64(salt, 12, s64);
	b64(hash, sizeof hash, h64);
	if ((size_t)snprintf(out, outlen, "%s:$7$101$%s$%s", user, s64, h64) >= outlen)
		return -1;
	return 0;
}

/* Appends printf output to a growing string. */
static void
cat(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
cat(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *nb;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (nb = realloc(*buf, *len + (size_t)n + 1)) == NULL)
		return;
	*buf = nb;
	va_start(ap, fmt);
	vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
}

char *
mqtt_setup_acl(const struct mqtt_setup *s)
{
	char *b = NULL;
	size_t n = 0;

	cat(&b, &n, "# smartofficed mqtt setup: who may read and write what (docs/mqtt.md).\n"
	    "# Anonymous clients (kiosks, citizens' browsers): the public view only.\n"
	    "topic read smartoffice/+/public/#\n"
	    "topic read smartoffice/+/status\n");
	for (size_t i = 0; i < s->nsites; i++)
		cat(&b, &n, "\n# the daemon of site %s: its own topics, its own commands\n"
		    "user smartoffice-%s\n"
		    "topic write smartoffice/%s/public/#\n"
		    "topic write smartoffice/%s/trusted/#\n"
		    "topic readwrite smartoffice/%s/status\n"
		    "topic read smartoffice/%s/command\n"
		    "topic write hermes/#\n", s->sites[i], s->sites[i], s->sites[i], s->sites[i],
		    s->sites[i], s->sites[i]);
	for (size_t i = 0; i < s->ndisplays; i++)
		cat(&b, &n, "\n# trusted display %s: every site's full view\n"
		    "user %s\n"
		    "topic read smartoffice/+/public/#\n"
		    "topic read smartoffice/+/trusted/#\n"
		    "topic read smartoffice/+/status\n"
		    "topic read hermes/#\n", s->displays[i], s->displays[i]);
	for (size_t i = 0; i < s->ncommanders; i++)
		cat(&b, &n, "\n# commander %s: the full view, and commands to any site\n"
		    "user %s\n"
		    "topic read smartoffice/+/public/#\n"
		    "topic read smartoffice/+/trusted/#\n"
		    "topic read smartoffice/+/status\n"
		    "topic read hermes/#\n"
		    "topic write smartoffice/+/command\n", s->commanders[i], s->commanders[i]);
	for (size_t i = 0; i < s->nbridges; i++)
		cat(&b, &n, "\n# bridge %s: another broker relaying the public view\n"
		    "user %s\n"
		    "topic read smartoffice/+/public/#\n"
		    "topic read smartoffice/+/status\n", s->bridges[i], s->bridges[i]);
	return b;
}

/* Writes text to path with mode, atomically (temporary file, rename). */
static int
write_file(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	char tmp[4200];
	int fd;
	size_t len = strlen(text);

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0 || fchmod(fd, mode) < 0 ||
	    write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		log_seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The user's password: from DIR/credentials/USER, or a new random one. */
static int
password_for(const char *dir, const char *user, char *pw, size_t len, char *err, size_t errlen)
{
	char path[4200];
	unsigned char raw[24];
	FILE *f;

	snprintf(path, sizeof path, "%s/credentials/%s", dir, user);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(pw, (int)len, f) != NULL) {
			pw[strcspn(pw, "\r\n")] = '\0';
			if (pw[0] != '\0') {
				fclose(f);
				return 0;
			}
		}
		fclose(f);
	}
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		log_seterr(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	b64(raw, sizeof raw, pw);	/* 32 characters */
	for (char *p = pw; *p; p++)	/* base64url: safe on command lines and in URLs */
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	{
		char line[80];
		snprintf(line, sizeof line, "%s\n", pw);
		return write_file(path, line, 0600, err, errlen);
	}
}

static int
user_ok(const char *u)
{
	return mqtt_site_valid(u);
}

int
mqtt_setup_write(const struct mqtt_setup *s, char *err, size_t errlen)
{
	char path[4200], pw[64], line[256], user[96], *acl = NULL, *pwfile = NULL, *conf = NULL;
	size_t plen = 0, clen = 0;
	unsigned char salt[12];
	int rc = -1;
	const char *const *lists[4] = { s->sites, s->displays, s->commanders, s->bridges };
	size_t counts[4] = { s->nsites, s->ndisplays, s->ncommanders, s->nbridges };

	if (s->nsites == 0) {
		log_seterr(err, errlen, "at least one --site");
		return -1;
	}
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (!user_ok(lists[l][i])) {
				log_seterr(err, errlen, "\"%s\": names and sites are 1 to 64 letters, digits, - or _",
				    lists[l][i]);
				return -1;
			}
	if (s->port < 1 || s->port > 65535 || s->ws_port < 1 || s->ws_port > 65535 || s->port == s->ws_port) {
		log_seterr(err, errlen, "--port and --ws-port: two different ports 1..65535");
		return -1;
	}
	if (mkdir(s->dir, 0755) < 0 && errno != EEXIST) {
		log_seterr(err, errlen, "%s: %s", s->dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/credentials", s->dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			snprintf(user, sizeof user, "%s%s", l == 0 ? "smartoffice-" : "", lists[l][i]);
			if (password_for(s->dir, user, pw, sizeof pw, err, errlen) < 0)
				goto out;
			if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt ||
			    mqtt_setup_hash(user, pw, salt, line, sizeof line) < 0) {
				log_seterr(err, errlen, "cannot hash the password of %s", user);
				goto out;
			}
			cat(&pwfile, &plen, "%s\n", line);
		}
	memset(pw, 0, sizeof pw);
	acl = mqtt_setup_acl(s);
	cat(&conf, &clen,
	    "# smartofficed mqtt setup: mosquitto config fragment (docs/mqtt.md).\n"
	    "# Include it from mosquitto.conf or copy it into /etc/mosquitto/conf.d/.\n"
	    "per_listener_settings false\n"
	    "allow_anonymous true\n"
	    "password_file %s/passwd\n"
	    "acl_file %s/acl\n"
	    "# commands to a daemon that is away wait for it (QoS 1, kept session)\n"
	    "max_queued_messages 10000\n"
	    "# events are small and must not wait for Nagle's algorithm\n"
	    "set_tcp_nodelay true\n"
	    "\n# daemons, trusted displays, other brokers (plain MQTT)\n"
	    "listener %d%s%s\n"
	    "protocol mqtt\n"
	    "\n# browsers: MQTT over websockets (ws://HOST:%d/); put TLS in front (wss://)\n"
	    "listener %d%s%s\n"
	    "protocol websockets\n",
	    s->dir, s->dir, s->port, s->address[0] ? " " : "", s->address, s->ws_port, s->ws_port,
	    s->address[0] ? " " : "", s->address);
	if (pwfile == NULL || acl == NULL || conf == NULL) {
		log_seterr(err, errlen, "out of memory");
		goto out;
	}
	snprintf(path, sizeof path, "%s/passwd", s->dir);
	if (write_file(path, pwfile, 0640, err, errlen) < 0)
		goto out;
	{	/* mosquitto drops root for its own user: let its group read it */
		struct group *g = getgrnam("mosquitto");
		if (g != NULL && geteuid() == 0 && chown(path, 0, g->gr_gid) < 0)
			log_warn("chown %s", path);
	}
	snprintf(path, sizeof path, "%s/acl", s->dir);
	if (write_file(path, acl, 0644, err, errlen) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/smartoffice.conf", s->dir);
	if (write_file(path, conf, 0644, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	memset(pw, 0, sizeof pw);
	free(pwfile);
	free(acl);
	free(conf);
	return rc;
}

static void
setup_usage(FILE *out)
{
	fprintf(out,
	    "usage: smartofficed mqtt setup [--dir DIR] [--address ADDR] [--port N] [--ws-port N]\n"
	    "                               [--site SITE]... [--display USER]... [--commander USER]...\n"
	    "                               [--bridge USER]...\n"
	    "  Writes DIR/smartoffice.conf (mosquitto listeners: MQTT on --port, 1883, and\n"
	    "  websockets for browsers on --ws-port, 8083), DIR/passwd, DIR/acl and\n"
	    "  DIR/credentials/USER (each user's password, 0600; kept when run again).\n"
	    "  Users: smartoffice-SITE for each site's daemon (default: the configured site),\n"
	    "  displays read every trusted view, commanders also send commands, bridges\n"
	    "  relay the public view to another broker.  Anonymous: public topics only.\n"
	    "  DIR defaults to /etc/mosquitto/smartoffice.\n");
}

int
mqtt_setup_cli(int argc, char **argv, const char *default_site)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "ws-port", required_argument, NULL, 'w' },
		{ "site", required_argument, NULL, 's' },
		{ "display", required_argument, NULL, 'D' },
		{ "commander", required_argument, NULL, 'C' },
		{ "bridge", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mqtt_setup s = { "/etc/mosquitto/smartoffice", "", 1883, 8083 };
	char err[4400], *end;
	int ch;

	if (argc < 2 || strcmp(argv[1], "setup") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			setup_usage(stdout);
			return 0;
		}
		fprintf(stderr, "smartofficed mqtt: the command is \"setup\"\n");
		setup_usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char **list = NULL;
		size_t *n = NULL;
		switch (ch) {
		case 'd': s.dir = optarg; break;
		case 'a': s.address = optarg; break;
		case 'p':
		case 'w': {
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 65535) {
				fprintf(stderr, "smartofficed mqtt setup: --%s %s: a port 1..65535\n",
				    ch == 'p' ? "port" : "ws-port", optarg);
				return 2;
			}
			*(ch == 'p' ? &s.port : &s.ws_port) = (int)v;
			break;
		}
		case 's': list = s.sites; n = &s.nsites; break;
		case 'D': list = s.displays; n = &s.ndisplays; break;
		case 'C': list = s.commanders; n = &s.ncommanders; break;
		case 'B': list = s.bridges; n = &s.nbridges; break;
		case 'h': setup_usage(stdout); return 0;
		default: setup_usage(stderr); return 2;
		}
		if (list != NULL) {
			if (*n == MQTT_SETUP_MAX_USERS) {
				fprintf(stderr, "smartofficed mqtt setup: at most %d of each\n", MQTT_SETUP_MAX_USERS);
				return 2;
			}
			list[(*n)++] = optarg;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smartofficed mqtt setup: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (s.nsites == 0)
		s.sites[s.nsites++] = default_site;
	if (mqtt_setup_write(&s, err, sizeof err) < 0) {
		fprintf(stderr, "smartofficed mqtt setup: %s\n", err);
		return 1;
	}
	printf("wrote %s/smartoffice.conf, passwd, acl and credentials/ (MQTT port %d, websockets %d)\n",
	    s.dir, s.port, s.ws_port);
	for (size_t i = 0; i < s.nsites; i++)
		printf("site %s: mqtt_user = smartoffice-%s, mqtt_password_file = %s/credentials/smartoffice-%s\n",
		    s.sites[i], s.sites[i], s.dir, s.sites[i]);
	return 0;
}
