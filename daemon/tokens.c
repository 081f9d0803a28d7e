#include "base/log.h"
#include "base/sysio.h"
#include "daemon/tokens.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define HASH_LEN  32
#define LINE_MAX_ 1024

/* What a stat(2) says about the file: a change in any of these means
 * another process replaced or edited it. */
struct sig {
	int             present;
	dev_t           dev;
	ino_t           ino;
	off_t           size;
	mode_t          mode;
	struct timespec mtim, ctim;
};

struct entry {
	struct token_info info;
	unsigned char     hash[HASH_LEN];
};

struct set {
	struct entry *v;
	size_t        n, cap;
};

struct tokens {
	char      *dir, *path, *lock;
	struct set set;
	struct sig sig;
};

static const char *role_names[] = { "display", "remote", "observer", "tv", "admin" };
#define NROLES (sizeof role_names / sizeof role_names[0])

#define seterr log_seterr

static char *
joinpath(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

const char *
tokens_role_name(enum token_role role)
{
	return (unsigned)role < NROLES ? role_names[role] : "?";
}

int
tokens_role_parse(const char *s, enum token_role *role)
{
	for (int i = 0; i < (int)NROLES; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0) {
			*role = (enum token_role)i;
			return 0;
		}
	return -1;
}

int
tokens_name_valid(const char *name, char *err, size_t errlen)
{
	size_t len;

	if (name == NULL) {
		seterr(err, errlen, "no name");
		return -1;
	}
	if ((len = strlen(name)) > TOKENS_NAME_MAX) {
		seterr(err, errlen, "name is %zu bytes long, at most %d", len, TOKENS_NAME_MAX);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			seterr(err, errlen, "name holds a %s (control characters are refused)",
			    *p == '\t' ? "tab" : *p == '\n' ? "newline" : "control character");
			return -1;
		}
	return 0;
}

/* ---- the set ---- */

static void
set_free(struct set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int
set_push(struct set *s, const struct entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct entry *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *e;
	return 0;
}

static void
sig_of(struct sig *g, const struct stat *st)
{
	memset(g, 0, sizeof *g);
	g->present = 1;
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->size = st->st_size;
	g->mode = st->st_mode;
	g->mtim = st->st_mtim;
	g->ctim = st->st_ctim;
}

static int
sig_same(const struct sig *a, const struct sig *b)
{
	if (a->present != b->present)
		return 0;
	if (!a->present)
		return 1;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mode == b->mode &&
	    a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
	    a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* ---- parsing ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
all_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* YYYY-MM-DDTHH:MM:SSZ, digits where the template has 'd'. */
static int
time_ok(const char *s)
{
	static const char tmpl[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(s) != sizeof tmpl - 1)
		return 0;
	for (size_t i = 0; tmpl[i]; i++)
		if (tmpl[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != tmpl[i])
			return 0;
	return 1;
}

/* One line (without its newline) into *e.  0, or -1 with the reason. */
static int
parse_line(char *line, struct entry *e, char *err, size_t errlen)
{
	char *f[5], *p = line;
	int tabs = 0;
	char why[128];

	for (const char *q = line; *q; q++)
		tabs += *q == '\t';
	if (tabs != 4) {
		seterr(err, errlen, "expected 5 tab-separated fields (id, sha256, role, created, name), got %d",
		    tabs + 1);
		return -1;
	}
	for (int n = 0; n < 5; n++) {
		f[n] = p;
		if ((p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	memset(e, 0, sizeof *e);
	if (!all_hex(f[0], 8)) {
		seterr(err, errlen, "bad id \"%.16s\": want 8 hex digits", f[0]);
		return -1;
	}
	if (!all_hex(f[1], 2 * HASH_LEN)) {
		seterr(err, errlen, "bad sha256 \"%.70s\": want 64 hex digits", f[1]);
		return -1;
	}
	if (tokens_role_parse(f[2], &e->info.role) < 0) {
		seterr(err, errlen, "bad role \"%.16s\": want display, remote, observer, tv or admin", f[2]);
		return -1;
	}
	if (!time_ok(f[3])) {
		seterr(err, errlen, "bad created time \"%.24s\": want YYYY-MM-DDTHH:MM:SSZ", f[3]);
		return -1;
	}
	if (tokens_name_valid(f[4], why, sizeof why) < 0) {
		seterr(err, errlen, "bad name: %s", why);
		return -1;
	}
	memcpy(e->info.id, f[0], 8);
	for (int i = 0; i < HASH_LEN; i++)
		e->hash[i] = (unsigned char)(hexval((unsigned char)f[1][2 * i]) << 4 |
		    hexval((unsigned char)f[1][2 * i + 1]));
	memcpy(e->info.created, f[3], 20);
	memcpy(e->info.name, f[4], strlen(f[4]) + 1);
	return 0;
}

/*
 * Reads PATH into *out and its stat into *g (also when it fails, so that the
 * same bad file is not reported again).  A missing file is an empty set.
 */
static int
load(const char *path, struct set *out, struct sig *g, char *err, size_t errlen)
{
	struct set s = { 0 };
	struct stat st;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int fd, lineno = 0, rc = -1;

	memset(g, 0, sizeof *g);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			*out = s;
			return 0;
		}
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (stat(path, &st) == 0)
			sig_of(g, &st);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	sig_of(g, &st);
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		seterr(err, errlen, "%s: mode %04o: must not be %s by others (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777), st.st_mode & 044 ? "readable" : "writable");
		close(fd);
		return -1;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct entry e;
		char why[200];

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			seterr(err, errlen, "%s:%d: a NUL byte in the line", path, lineno);
			goto out;
		}
		if (len > LINE_MAX_) {
			seterr(err, errlen, "%s:%d: line too long (%zd bytes)", path, lineno, len);
			goto out;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (parse_line(line, &e, why, sizeof why) < 0) {
			seterr(err, errlen, "%s:%d: %s", path, lineno, why);
			goto out;
		}
		for (size_t i = 0; i < s.n; i++)
			if (strcasecmp(s.v[i].info.id, e.info.id) == 0) {
				seterr(err, errlen, "%s:%d: id %s is used twice", path, lineno, e.info.id);
				goto out;
			}
		if (set_push(&s, &e) < 0) {
			seterr(err, errlen, "%s: out of memory", path);
			goto out;
		}
	}
	if (ferror(f)) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	*out = s;
	s.v = NULL;
	rc = 0;
out:
	free(line);
	set_free(&s);
	fclose(f);
	return rc;
}

/* ---- writing ---- */

/*
 * Replaces the file with the set S through base/sysio (a new file beside
 * it made 0600 whatever the umask, written, fsync'd, renamed over PATH, the
 * directory fsync'd): a failure or a crash at any step leaves the old file
 * whole.  The caller holds the lock.
 */
static int
store(struct tokens *t, const struct set *s, char *err, size_t errlen)
{
	static const char head[] =
	    "# smartofficed paired-device tokens: id, sha256 of the token, role, created (UTC), name\n"
	    "# (tab-separated).  Managed by `smartofficed tokens`; must stay mode 0600.\n";
	size_t cap = sizeof head + s->n * 200, len = 0;
	char *buf = malloc(cap);
	struct stat st;
	int rc;

	if (buf == NULL) {
		seterr(err, errlen, "%s: out of memory", t->path);
		return -1;
	}
	len += (size_t)snprintf(buf + len, cap - len, "%s", head);
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->v[i];
		char hex[2 * HASH_LEN + 1];

		for (int k = 0; k < HASH_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", e->hash[k]);
		len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%s\t%s\n", e->info.id, hex,
		    tokens_role_name(e->info.role), e->info.created, e->info.name);
	}
	rc = sysio_replace(t->path, buf, len, 0600, err, errlen);
	free(buf);
	if (rc < 0)
		return -1;
	/* Our own write is not a change to re-read. */
	if (stat(t->path, &st) == 0)
		sig_of(&t->sig, &st);
	return 0;
}

/* The writers' lock (made 0600; the state directory 0700 if missing).
 * The descriptor, or -1 with err.  Closing it unlocks. */
static int
lock_file(struct tokens *t, char *err, size_t errlen)
{
	int fd;

	if (sysio_mkdir(t->dir, 0700) < 0 && errno != EEXIST) {
		seterr(err, errlen, "%s: %s", t->dir, strerror(errno));
		return -1;
	}
	if ((fd = sysio_open(t->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		seterr(err, errlen, "%s: %s", t->lock, strerror(errno));
		return -1;
	}
	(void)fchmod(fd, 0600);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			seterr(err, errlen, "%s: lock: %s", t->lock, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Under the lock: the file as it is now, so that another writer's change
 * is not lost.  On error the set in memory is left alone. */
static int
reread(struct tokens *t, char *err, size_t errlen)
{
	struct set s;
	struct sig g;

	if (load(t->path, &s, &g, err, errlen) < 0)
		return -1;
	set_free(&t->set);
	t->set = s;
	t->sig = g;
	return 0;
}

static int
random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* base64url without padding: 32 bytes give 43 characters. */
static void
b64url(const unsigned char *in, size_t len, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0;
	char *o = out;

	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*o++ = al[v >> 18 & 63];
		*o++ = al[v >> 12 & 63];
		*o++ = al[v >> 6 & 63];
		*o++ = al[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		*o++ = al[v >> 18 & 63];
		*o++ = al[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		*o++ = al[v >> 18 & 63];
		*o++ = al[v >> 12 & 63];
		*o++ = al[v >> 6 & 63];
	}
	*o = '\0';
}

static int
sha256(const char *s, size_t len, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

/* ---- API ---- */

struct tokens *
tokens_open(const char *state_dir, char *err, size_t errlen)
{
	struct tokens *t = calloc(1, sizeof *t);

	if (t == NULL || (t->dir = strdup(state_dir)) == NULL ||
	    (t->path = joinpath(state_dir, "tokens")) == NULL ||
	    (t->lock = joinpath(state_dir, "tokens.lock")) == NULL) {
		seterr(err, errlen, "out of memory");
		tokens_close(t);
		return NULL;
	}
	if (load(t->path, &t->set, &t->sig, err, errlen) < 0) {
		tokens_close(t);
		return NULL;
	}
	return t;
}

void
tokens_close(struct tokens *t)
{
	if (t == NULL)
		return;
	set_free(&t->set);
	free(t->dir);
	free(t->path);
	free(t->lock);
	free(t);
}

const char *
tokens_path(const struct tokens *t)
{
	return t->path;
}

size_t
tokens_count(const struct tokens *t)
{
	return t->set.n;
}

const struct token_info *
tokens_at(const struct tokens *t, size_t i)
{
	return i < t->set.n ? &t->set.v[i].info : NULL;
}

int
tokens_add(struct tokens *t, enum token_role role, const char *name,
    char token_out[TOKENS_TOKEN_LEN + 1], char id_out[9], char *err, size_t errlen)
{
	unsigned char raw[32], idb[4];
	char token[TOKENS_TOKEN_LEN + 1];
	struct entry e;
	struct tm tm;
	time_t now;
	int lfd, rc = -1;

	if ((unsigned)role >= NROLES) {
		seterr(err, errlen, "bad role");
		return -1;
	}
	if (tokens_name_valid(name, err, errlen) < 0)
		return -1;
	if ((lfd = lock_file(t, err, errlen)) < 0)
		return -1;
	if (reread(t, err, errlen) < 0)
		goto out;
	memset(&e, 0, sizeof e);
	if (random_bytes(raw, sizeof raw) < 0) {
		seterr(err, errlen, "getrandom: %s", strerror(errno));
		goto out;
	}
	b64url(raw, sizeof raw, token);
	explicit_bzero(raw, sizeof raw);
	/* A fresh id, unlike every other (4 bytes: a clash is rare, retried). */
	for (int tries = 0;; tries++) {
		int clash = 0;
		if (tries == 100 || random_bytes(idb, sizeof idb) < 0) {
			seterr(err, errlen, "could not pick a token id");
			goto out;
		}
		snprintf(e.info.id, sizeof e.info.id, "%02x%02x%02x%02x", idb[0], idb[1], idb[2], idb[3]);
		for (size_t i = 0; i < t->set.n; i++)
			clash |= strcasecmp(t->set.v[i].info.id, e.info.id) == 0;
		if (!clash)
			break;
	}
	if (sha256(token, TOKENS_TOKEN_LEN, e.hash) < 0) {
		seterr(err, errlen, "SHA-256 failed");
		goto out;
	}
	e.info.role = role;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(e.info.created, sizeof e.info.created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(e.info.name, sizeof e.info.name, "%s", name);
	if (set_push(&t->set, &e) < 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (store(t, &t->set, err, errlen) < 0) {
		t->set.n--;
		goto out;
	}
	memcpy(token_out, token, sizeof token);
	memcpy(id_out, e.info.id, 9);
	rc = 0;
out:
	explicit_bzero(token, sizeof token);
	close(lfd);
	return rc;
}

int
tokens_check(const struct tokens *t, const char *token, struct token_info *out)
{
	unsigned char h[HASH_LEN];
	size_t len;
	const struct entry *hit = NULL;

	if (token == NULL || (len = strnlen(token, TOKENS_TOKEN_LEN + 1)) != TOKENS_TOKEN_LEN)
		return 0;
	if (sha256(token, len, h) < 0)
		return 0;
	/* Every entry is compared, in constant time each: no early exit. */
	for (size_t i = 0; i < t->set.n; i++) {
		int eq = CRYPTO_memcmp(h, t->set.v[i].hash, HASH_LEN) == 0;
		if (eq)
			hit = &t->set.v[i];
	}
	if (hit != NULL && out != NULL)
		*out = hit->info;
	return hit != NULL;
}

/* Locks the file and re-reads it, then finds token ID: its index, with
 * the lock's descriptor in *lfd (the caller closes it), or -1 with err (the
 * lock released). */
static ssize_t
locked_find(struct tokens *t, const char *id, int *lfd, char *err, size_t errlen)
{
	if ((*lfd = lock_file(t, err, errlen)) < 0)
		return -1;
	if (reread(t, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < t->set.n; i++)
		if (strcasecmp(t->set.v[i].info.id, id) == 0)
			return (ssize_t)i;
	seterr(err, errlen, "no token with id %s", id);
fail:
	close(*lfd);
	return -1;
}

int
tokens_revoke(struct tokens *t, const char *id, char *err, size_t errlen)
{
	int lfd, rc = -1;
	ssize_t at;
	size_t i;

	if ((at = locked_find(t, id, &lfd, err, errlen)) < 0)
		return -1;
	i = (size_t)at;
	{
		struct entry gone = t->set.v[i];
		memmove(&t->set.v[i], &t->set.v[i + 1], (t->set.n - i - 1) * sizeof *t->set.v);
		t->set.n--;
		if (store(t, &t->set, err, errlen) < 0) {
			/* Put it back where it was: nothing changed. */
			memmove(&t->set.v[i + 1], &t->set.v[i], (t->set.n - i) * sizeof *t->set.v);
			t->set.v[i] = gone;
			t->set.n++;
			goto out;
		}
	}
	rc = 0;
out:
	close(lfd);
	return rc;
}

int
tokens_rename(struct tokens *t, const char *id, const char *name, char *err, size_t errlen)
{
	char why[128], old[TOKENS_NAME_MAX + 1];
	int lfd, rc = -1;
	ssize_t at;
	size_t i;

	if (tokens_name_valid(name, why, sizeof why) < 0) {
		seterr(err, errlen, "bad name: %s", why);
		return -1;
	}
	if ((at = locked_find(t, id, &lfd, err, errlen)) < 0)
		return -1;
	i = (size_t)at;
	memcpy(old, t->set.v[i].info.name, sizeof old);
	snprintf(t->set.v[i].info.name, sizeof t->set.v[i].info.name, "%s", name);
	if (store(t, &t->set, err, errlen) < 0) {
		memcpy(t->set.v[i].info.name, old, sizeof old);	/* nothing changed */
		goto out;
	}
	rc = 0;
out:
	close(lfd);
	return rc;
}

int
tokens_reload_if_changed(struct tokens *t, char *err, size_t errlen)
{
	struct stat st;
	struct sig now = { 0 }, g;
	struct set s;

	if (stat(t->path, &st) == 0)
		sig_of(&now, &st);
	else if (errno != ENOENT) {
		/* Cannot even stat it: treat like a bad file, once. */
		now.present = 1;
		now.size = -1;
	}
	if (sig_same(&now, &t->sig))
		return 0;
	/* Unreadable is not revoked: the set read before stays in force. */
	if (load(t->path, &s, &g, err, errlen) < 0) {
		t->sig = g.present ? g : now;
		return -1;
	}
	set_free(&t->set);
	t->set = s;
	t->sig = g;
	return 1;
}
