/*
 * test_queue — the device-threads-to-service-thread queue (daemon/queue.c):
 * FIFO order, the bound and the count of dropped inputs, and concurrent
 * producers with one consumer losing nothing and keeping each producer's
 * order.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/queue.h"

static struct input
make(unsigned long ticket)
{
	struct input in;

	memset(&in, 0, sizeof in);
	in.kind = (enum input_kind)(ticket % 6);
	in.speech.ticket = ticket;
	in.t = ticket * 0.5;
	in.speech.confidence = 1.0 / (double)(ticket + 1);
	snprintf(in.speech.id, sizeof in.speech.id, "id-%lu", ticket);
	snprintf(in.speech.reason, sizeof in.speech.reason, "r%lu", ticket);
	snprintf(in.speech.text, sizeof in.speech.text, "text of input %lu", ticket);
	return in;
}

static void
assert_same_input(const struct input *a, const struct input *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(a->t == b->t);
	assert_true(a->speech.t_speech_end == b->speech.t_speech_end);
	assert_true(a->speech.confidence == b->speech.confidence);
	assert_int_equal(a->signo, b->signo);
	assert_int_equal(a->speech.ticket, b->speech.ticket);
	assert_string_equal(a->speech.id, b->speech.id);
	assert_string_equal(a->speech.reason, b->speech.reason);
	assert_string_equal(a->speech.text, b->speech.text);
}

static void
test_fifo(void **state)
{
	struct queue *q = queue_new(8);
	struct input in, out;

	assert_non_null(q);
	assert_int_equal(queue_pop(q, &out), 0);
	/* Several rounds so that the ring wraps around. */
	for (unsigned long round = 0, next = 0, expect = 0; round < 5; round++) {
		for (int i = 0; i < 5; i++) {
			in = make(next++);
			assert_int_equal(queue_push(q, &in), 0);
		}
		for (int i = 0; i < 5; i++) {
			struct input want = make(expect++);
			memset(&out, 0xAB, sizeof out);
			assert_int_equal(queue_pop(q, &out), 1);
			assert_same_input(&out, &want);
		}
		assert_int_equal(queue_pop(q, &out), 0);
	}
	assert_int_equal(queue_dropped(q), 0);
	queue_free(q);
	queue_free(NULL);
}

static void
test_bounded(void **state)
{
	struct queue *q = queue_new(4);
	struct input in, out;

	for (unsigned long i = 0; i < 4; i++) {
		in = make(i);
		assert_int_equal(queue_push(q, &in), 0);
	}
	for (unsigned long i = 4; i < 7; i++) {
		in = make(i);
		assert_int_equal(queue_push(q, &in), -1);
		assert_int_equal(queue_dropped(q), i - 3);
	}
	/* The dropped ones are not there; the first four are, in order. */
	for (unsigned long i = 0; i < 4; i++) {
		assert_int_equal(queue_pop(q, &out), 1);
		assert_int_equal(out.speech.ticket, i);
	}
	assert_int_equal(queue_pop(q, &out), 0);
	/* Room again after popping; the count of drops stays. */
	in = make(9);
	assert_int_equal(queue_push(q, &in), 0);
	assert_int_equal(queue_dropped(q), 3);
	assert_int_equal(queue_pop(q, &out), 1);
	assert_int_equal(out.speech.ticket, 9);
	queue_free(q);
}

#define PRODUCERS 4
#define PER_PRODUCER 10000

struct producer {
	struct queue *q;
	int           id;
	unsigned long refused;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;

	for (unsigned long i = 0; i < PER_PRODUCER; i++) {
		struct input in;
		memset(&in, 0, sizeof in);
		in.kind = IN_COMMAND;
		in.signo = p->id;
		in.speech.ticket = i;
		snprintf(in.speech.id, sizeof in.speech.id, "p%d-%lu", p->id, i);
		/* Full: the input is dropped (and counted); send it again. */
		while (queue_push(p->q, &in) != 0) {
			p->refused++;
			sched_yield();
		}
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct queue *q = queue_new(64);
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];
	unsigned long next[PRODUCERS] = { 0 }, popped = 0, refused = 0;
	struct input out;

	for (int i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){ q, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
	}
	while (popped < PRODUCERS * PER_PRODUCER) {
		char id[64];
		if (!queue_pop(q, &out)) {
			sched_yield();
			continue;
		}
		assert_true(out.signo >= 0 && out.signo < PRODUCERS);
		/* Each producer's inputs come out in the order it pushed them. */
		if (out.speech.ticket != next[out.signo])
			fail_msg("producer %d: got %lu, expected %lu", out.signo, out.speech.ticket, next[out.signo]);
		snprintf(id, sizeof id, "p%d-%lu", out.signo, out.speech.ticket);
		assert_string_equal(out.speech.id, id);
		next[out.signo]++;
		popped++;
	}
	for (int i = 0; i < PRODUCERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(next[i], PER_PRODUCER);
		refused += p[i].refused;
	}
	assert_int_equal(queue_pop(q, &out), 0);
	assert_int_equal(queue_dropped(q), refused);
	queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
