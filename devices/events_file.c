/* events_file — scripted input events (see events_file.h). */
#include "devices/events_file.h"
#include "base/worker.h"
#include "base/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/queue.h"

struct events_file {
	struct input	*in;
	size_t		 n;
	struct queue	*q;
	void		(*wake)(void *);
	void		*wake_ud;
	int		 realtime;
	struct worker	 w;		/* the replay thread and its stop flag */
};

/* One line into an input; 0, or -1 with the reason in err. */
static int
parse_line(const char *line, double prev_t, struct input *in, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *t, *x, *y;
	const char *type, *s;
	int rc = -1;

	memset(in, 0, sizeof *in);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object%s%s", o == NULL ? ": " : "", o == NULL ? jerr.text : "");
		goto out;
	}
	t = json_object_get(o, "t");
	type = json_string_value(json_object_get(o, "type"));
	if (!json_is_number(t) || json_number_value(t) < prev_t) {
		snprintf(err, errlen, "\"t\" must be a number of seconds, not less than the line before's");
		goto out;
	}
	in->t = json_number_value(t);
	if (type == NULL) {
		snprintf(err, errlen, "no \"type\"");
		goto out;
	}
	if (gesture_kind_parse(type) >= 0) {
		struct input_gesture *g = &in->gesture;
		in->kind = IN_GESTURE;
		g->what = (enum gesture_kind)gesture_kind_parse(type);
		if (g->what == GESTURE_CURSOR) {
			x = json_object_get(o, "x");
			y = json_object_get(o, "y");
			s = json_string_value(json_object_get(o, "state"));
			if (!json_is_number(x) || !json_is_number(y) || json_number_value(x) < 0 ||
			    json_number_value(x) > 1 || json_number_value(y) < 0 || json_number_value(y) > 1) {
				snprintf(err, errlen, "cursor needs \"x\" and \"y\" between 0 and 1");
				goto out;
			}
			if (s == NULL) s = "move";
			if (cursor_state_parse(s) < 0) {
				snprintf(err, errlen, "cursor \"state\" must be move, press or release");
				goto out;
			}
			g->x = json_number_value(x);
			g->y = json_number_value(y);
			g->cursor = (enum cursor_state)cursor_state_parse(s);
		}
	} else if (!strcmp(type, "face")) {
		in->kind = IN_FACE;
		s = json_string_value(json_object_get(o, "face"));
		if (face_result_parse(s) < 0) {
			snprintf(err, errlen, "face \"face\" must be verified, unknown, absent or failed");
			goto out;
		}
		in->face.result = (enum face_result)face_result_parse(s);
		if ((s = json_string_value(json_object_get(o, "name"))) != NULL)
			snprintf(in->face.text, sizeof in->face.text, "%s", s);
	} else if (!strcmp(type, "door")) {
		/* The shelf door sensor's replay row (devices/door.h). */
		in->kind = IN_DOOR;
		s = json_string_value(json_object_get(o, "state"));
		if (door_event_parse(s) < 0) {
			snprintf(err, errlen, "door \"state\" must be open, closed, lost or back");
			goto out;
		}
		in->door.state = (enum door_event)door_event_parse(s);
	} else {
		snprintf(err, errlen, "unknown type \"%.32s\" (engage, cursor, disengage, face, door)", type);
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

struct events_file *
events_file_open(const char *path, struct queue *q, void (*wake)(void *), void *wake_ud,
                 int realtime, char *err, size_t errlen)
{
	struct events_file *ef;
	char *line = NULL, why[256];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	double prev = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((ef = calloc(1, sizeof *ef)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct input *ni;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if ((ni = realloc(ef->in, (ef->n + 1) * sizeof *ni)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		ef->in = ni;
		if (parse_line(line, prev, &ef->in[ef->n], why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			goto fail;
		}
		prev = ef->in[ef->n++].t;
	}
	free(line);
	fclose(f);
	ef->q = q;
	ef->wake = wake;
	ef->wake_ud = wake_ud;
	ef->realtime = realtime;
	return ef;
fail:
	free(line);
	fclose(f);
	free(ef->in);
	free(ef);
	return NULL;
}

/* A full queue is waited out, not dropped: a script replayed as fast as
 * possible can be longer than the queue. */
static void
push(struct events_file *ef, const struct input *in)
{
	while (queue_push(ef->q, in) < 0 && !worker_stopping(&ef->w)) {
		ef->wake(ef->wake_ud);
		clock_sleep(0.005);
	}
	ef->wake(ef->wake_ud);
}

static void *
run(void *arg)
{
	struct events_file *ef = arg;
	double t0 = clock_mono();
	struct input end = { .kind = IN_EVENTS_END };

	for (size_t i = 0; i < ef->n && !worker_stopping(&ef->w); i++) {
		/* Sleep in short steps so that a stop is quick. */
		while (ef->realtime && !worker_stopping(&ef->w) && clock_mono() - t0 < ef->in[i].t) {
			double left = ef->in[i].t - (clock_mono() - t0);
			clock_sleep(left > 0.05 ? 0.05 : left);
		}
		push(ef, &ef->in[i]);
	}
	end.t = ef->n > 0 ? ef->in[ef->n - 1].t : 0;
	push(ef, &end);
	return NULL;
}

int
events_file_start(struct events_file *ef)
{
	return worker_start(&ef->w, run, ef);
}

void
events_file_free(struct events_file *ef)
{
	if (ef == NULL)
		return;
	worker_stop(&ef->w);
	free(ef->in);
	free(ef);
}
