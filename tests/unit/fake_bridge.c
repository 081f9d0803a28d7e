/*
 * fake_bridge — see fake_bridge.h.  Defines all of ui-bridge/bridge.h's
 * functions (nm -g build/ui-bridge/bridge.o lists them), so that the
 * archive's bridge.o is never linked into a test that has this one.
 */
#include "tests/unit/fake_bridge.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fake_msg {
	char         *text;
	enum fake_how how;
};

struct bridge_client {
	uint64_t         id;
	char             role[16];
	int              trusted;
	char             token_id[16];
	char             address[64];
	char             name[65];
	int              binary;
	struct fake_msg *msgs;
	size_t           nmsgs, read;
};

struct bridge {
	int                    port;
	struct bridge_client **clients;
	size_t                 nclients;
	uint64_t               next_id;
	atomic_ulong           wakeups;
	unsigned long          broadcasts;
};

struct bridge *
fake_bridge_new(int port)
{
	struct bridge *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->port = port;
	b->next_id = 1;
	atomic_init(&b->wakeups, 0);
	return b;
}

static void
client_free(struct bridge_client *c)
{
	for (size_t i = 0; i < c->nmsgs; i++)
		free(c->msgs[i].text);
	free(c->msgs);
	free(c);
}

void
fake_bridge_free(struct bridge *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nclients; i++)
		client_free(b->clients[i]);
	free(b->clients);
	free(b);
}

struct bridge_client *
fake_client_new(struct bridge *b, const char *address)
{
	struct bridge_client *c = calloc(1, sizeof *c), **cs;

	if (c == NULL || (cs = realloc(b->clients, (b->nclients + 1) * sizeof *cs)) == NULL) {
		free(c);
		return NULL;
	}
	b->clients = cs;
	c->id = b->next_id++;
	snprintf(c->role, sizeof c->role, "display");
	snprintf(c->address, sizeof c->address, "%s", address);
	b->clients[b->nclients++] = c;
	return c;
}

void
fake_client_close(struct bridge *b, struct bridge_client *c)
{
	for (size_t i = 0; i < b->nclients; i++)
		if (b->clients[i] == c) {
			memmove(b->clients + i, b->clients + i + 1, (b->nclients - i - 1) * sizeof *b->clients);
			b->nclients--;
			client_free(c);
			return;
		}
}

static void
deliver(struct bridge_client *c, const char *text, size_t len, enum fake_how how)
{
	struct fake_msg *m = realloc(c->msgs, (c->nmsgs + 1) * sizeof *m);

	if (m == NULL)
		fail_msg("fake bridge: out of memory");
	c->msgs = m;
	if ((m[c->nmsgs].text = strndup(text, len)) == NULL)
		fail_msg("fake bridge: out of memory");
	m[c->nmsgs++].how = how;
}

size_t
fake_client_pending(const struct bridge_client *c)
{
	return c->nmsgs - c->read;
}

json_t *
fake_client_next(struct bridge_client *c, enum fake_how *how)
{
	json_error_t je;
	json_t *j;

	if (c->read >= c->nmsgs)
		return NULL;
	if (how != NULL)
		*how = c->msgs[c->read].how;
	if ((j = json_loads(c->msgs[c->read].text, 0, &je)) == NULL)
		fail_msg("client %llu was sent text that is not JSON (%s): %s", (unsigned long long)c->id,
		    je.text, c->msgs[c->read].text);
	c->read++;
	return j;
}

const char *
fake_client_peek(const struct bridge_client *c)
{
	return c->read < c->nmsgs ? c->msgs[c->read].text : NULL;
}

char *
fake_client_all(const struct bridge_client *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < c->nmsgs; i++)
		len += strlen(c->msgs[i].text) + 1;
	if ((s = malloc(len)) == NULL)
		fail_msg("fake bridge: out of memory");
	s[0] = '\0';
	for (size_t i = 0; i < c->nmsgs; i++) {
		strcat(s, c->msgs[i].text);
		strcat(s, "\n");
	}
	return s;
}

void
fake_client_clear(struct bridge_client *c)
{
	for (size_t i = 0; i < c->nmsgs; i++)
		free(c->msgs[i].text);
	free(c->msgs);
	c->msgs = NULL;
	c->nmsgs = c->read = 0;
}

int
fake_client_binary(const struct bridge_client *c)
{
	return c->binary;
}

unsigned long
fake_bridge_wakeups(const struct bridge *b)
{
	return atomic_load(&((struct bridge *)b)->wakeups);
}

unsigned long
fake_bridge_broadcasts(const struct bridge *b)
{
	return b->broadcasts;
}

/* ---- bridge.h ---- */

struct bridge *
bridge_new(const struct bridge_config *cfg, const struct bridge_hooks *hooks, char *err, size_t errlen)
{
	(void)cfg;
	(void)hooks;
	snprintf(err, errlen, "fake bridge: bridge_new is not available in this test (fake_bridge_new)");
	return NULL;
}

int
bridge_port(const struct bridge *b)
{
	return b->port;
}

int
bridge_tls(const struct bridge *b)
{
	(void)b;
	return 0;
}

int
bridge_service(struct bridge *b)
{
	(void)b;
	return -1;
}

void
bridge_broadcast(struct bridge *b, const char *json, size_t len)
{
	bridge_broadcast_view(b, json, len, json, len);
}

void
bridge_broadcast_view(struct bridge *b, const char *json, size_t len, const char *pub, size_t publen)
{
	b->broadcasts++;
	for (size_t i = 0; i < b->nclients; i++) {
		struct bridge_client *c = b->clients[i];
		if (c->trusted)
			deliver(c, json, len, FAKE_BROADCAST);
		else if (pub != NULL)
			deliver(c, pub, publen, FAKE_BROADCAST);
	}
}

void
bridge_foreach(struct bridge *b, void (*fn)(void *ud, struct bridge_client *c), void *ud)
{
	for (size_t i = 0; i < b->nclients; i++)
		fn(ud, b->clients[i]);
}

uint64_t
bridge_client_id(const struct bridge_client *c)
{
	return c->id;
}

struct bridge_client *
bridge_client_by_id(struct bridge *b, uint64_t id)
{
	for (size_t i = 0; i < b->nclients; i++)
		if (b->clients[i]->id == id)
			return b->clients[i];
	return NULL;
}

void
bridge_client_set_view(struct bridge_client *c, const char *role, int trusted, const char *token_id)
{
	snprintf(c->role, sizeof c->role, "%s", role != NULL ? role : "display");
	c->trusted = trusted;
	snprintf(c->token_id, sizeof c->token_id, "%s", token_id != NULL ? token_id : "");
}

const char *
bridge_client_role(const struct bridge_client *c)
{
	return c->role;
}

void
bridge_client_set_name(struct bridge_client *c, const char *name)
{
	snprintf(c->name, sizeof c->name, "%s", name != NULL ? name : "");
}

const char *
bridge_client_name(const struct bridge_client *c)
{
	return c->name;
}

double
bridge_client_since(const struct bridge_client *c)
{
	return 0;
}

int
bridge_client_trusted(const struct bridge_client *c)
{
	return c->trusted;
}

const char *
bridge_client_token_id(const struct bridge_client *c)
{
	return c->token_id;
}

const char *
bridge_client_address(const struct bridge_client *c)
{
	return c->address;
}

void
bridge_client_allow_binary(struct bridge_client *c, int allow)
{
	c->binary = allow;
}

void
bridge_send(struct bridge *b, struct bridge_client *c, const char *json, size_t len)
{
	(void)b;
	deliver(c, json, len, FAKE_SENT);
}

size_t
bridge_clients(const struct bridge *b)
{
	return b->nclients;
}

size_t
bridge_backlog(struct bridge *b)
{
	(void)b;
	return 0;
}

void
bridge_every(struct bridge *b, int ms, void (*fn)(void *ud), void *ud)
{
	(void)b;
	(void)ms;
	(void)fn;
	(void)ud;
}

void
bridge_wakeup(struct bridge *b)
{
	if (b != NULL)
		atomic_fetch_add(&b->wakeups, 1);
}

void
bridge_free(struct bridge *b)
{
	fake_bridge_free(b);
}
