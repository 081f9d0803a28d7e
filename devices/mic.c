#include "devices/mic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mic *
mic_open_ops(const struct mic_ops *ops, const char *arg, int realtime, char *err, size_t errlen)
{
	struct mic *m = calloc(1, sizeof *m);

	m->ops = ops;
	m->realtime = realtime;
	if (ops->open(m, arg, err, errlen) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

struct mic *
mic_open(const char *spec, int realtime, char *err, size_t errlen)
{
	if (strncmp(spec, "file:", 5) == 0)
		return mic_open_ops(&mic_file_ops, spec + 5, realtime, err, errlen);
	if (strcmp(spec, "portaudio") == 0)
		return mic_open_ops(&mic_portaudio_ops, NULL, 1, err, errlen);
	if (strncmp(spec, "portaudio:", 10) == 0)
		return mic_open_ops(&mic_portaudio_ops, spec + 10, 1, err, errlen);
	snprintf(err, errlen, "audio source \"%s\": expected file:PATH, portaudio or portaudio:NAME", spec);
	return NULL;
}

ssize_t
mic_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	ssize_t r = m->ops->read(m, buf, n, err, errlen);

	if (r > 0)
		m->samples += (uint64_t)r;
	return r;
}

void
mic_close(struct mic *m)
{
	if (m == NULL)
		return;
	m->ops->close(m);
	free(m);
}
