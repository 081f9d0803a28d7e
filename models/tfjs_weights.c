/*
 * tfjs_weights — a tfjs layers model's manifest and shards (tfjs_weights.h).
 */
#include "models/tfjs_weights.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define seterr log_seterr

void
tfjs_weights_free(struct tfjs_weights *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->t[i].v);
	free(w->t);
	w->t = NULL;
	w->n = 0;
}

const struct tfjs_tensor *
tfjs_weights_find(const struct tfjs_weights *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->t[i].name, name) == 0)
			return &w->t[i];
	return NULL;
}

static unsigned char *
read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long sz;

	if (f == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == -1 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    sz > (256L << 20)) {
		seterr(err, errlen, "%s: cannot size the file", path);
		fclose(f);
		return NULL;
	}
	if ((buf = malloc(sz > 0 ? (size_t)sz : 1)) == NULL ||
	    fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		seterr(err, errlen, "%s: read failed", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

int
tfjs_weights_load(const char *manifest, struct tfjs_weights *w, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *group;
	size_t gi, dirlen;
	char path[1200], e2[1400];
	const char *slash = strrchr(manifest, '/');
	int rc = -1, cap = 0;

	memset(w, 0, sizeof *w);
	dirlen = slash ? (size_t)(slash - manifest + 1) : 0;
	if ((root = json_load_file(manifest, 0, &je)) == NULL) {
		if (je.line > 0)
			seterr(err, errlen, "%s:%d: not a weights manifest: %s", manifest, je.line,
			    je.text);
		else
			seterr(err, errlen, "%s: %s", manifest, je.text);
		return -1;
	}
	if (!json_is_array(root) || json_array_size(root) == 0) {
		seterr(err, errlen, "%s: not a weights manifest (want an array of groups)", manifest);
		goto out;
	}
	json_array_foreach(root, gi, group) {
		json_t *paths = json_object_get(group, "paths"), *ws = json_object_get(group, "weights");
		json_t *p, *wt;
		unsigned char *data = NULL;
		size_t len = 0, off = 0, i;

		if (!json_is_array(paths) || !json_is_array(ws)) {
			seterr(err, errlen, "%s: group %zu has no paths or weights", manifest, gi);
			goto out;
		}
		/* the group's shards, concatenated */
		json_array_foreach(paths, i, p) {
			const char *name = json_string_value(p);
			unsigned char *part, *grown;
			size_t plen;

			if (name == NULL || strchr(name, '/') || name[0] == '.') {
				seterr(err, errlen, "%s: group %zu: bad shard name", manifest, gi);
				free(data);
				goto out;
			}
			snprintf(path, sizeof path, "%.*s%s", (int)dirlen, manifest, name);
			if ((part = read_all(path, &plen, e2, sizeof e2)) == NULL) {
				seterr(err, errlen, "%s: its shard %s", manifest, e2);
				free(data);
				goto out;
			}
			if ((grown = realloc(data, len + plen + 1)) == NULL) {
				free(part);
				free(data);
				seterr(err, errlen, "out of memory");
				goto out;
			}
			data = grown;
			memcpy(data + len, part, plen);
			len += plen;
			free(part);
		}
		json_array_foreach(ws, i, wt) {
			const char *name = json_string_value(json_object_get(wt, "name"));
			const char *dtype = json_string_value(json_object_get(wt, "dtype"));
			json_t *shape = json_object_get(wt, "shape"), *q = json_object_get(wt, "quantization");
			struct tfjs_tensor *t;
			size_t n = 1, bytes, k;
			int qbytes = 4, j;
			double qmin = 0, qscale = 0;

			if (name == NULL || dtype == NULL || strcmp(dtype, "float32") != 0 ||
			    !json_is_array(shape) || json_array_size(shape) > 4 ||
			    strlen(name) >= sizeof t->name) {
				seterr(err, errlen, "%s: weight %zu of group %zu: want a float32 tensor "
				    "with a name and a shape of rank <= 4", manifest, i, gi);
				free(data);
				goto out;
			}
			if (q != NULL) {
				const char *qd = json_string_value(json_object_get(q, "dtype"));
				qbytes = qd && strcmp(qd, "uint8") == 0 ? 1 :
				    qd && strcmp(qd, "uint16") == 0 ? 2 : 0;
				qmin = json_number_value(json_object_get(q, "min"));
				qscale = json_number_value(json_object_get(q, "scale"));
				if (qbytes == 0 || !json_is_number(json_object_get(q, "min")) ||
				    !json_is_number(json_object_get(q, "scale"))) {
					seterr(err, errlen, "%s: %s: unsupported quantization", manifest,
					    name);
					free(data);
					goto out;
				}
			}
			if (w->n == cap) {
				struct tfjs_tensor *g = realloc(w->t, (size_t)(cap = cap ? 2 * cap : 64) *
				    sizeof *g);
				if (g == NULL) {
					seterr(err, errlen, "out of memory");
					free(data);
					goto out;
				}
				w->t = g;
			}
			t = &w->t[w->n];
			memset(t, 0, sizeof *t);
			snprintf(t->name, sizeof t->name, "%s", name);
			t->rank = (int)json_array_size(shape);
			for (j = 0; j < t->rank; j++) {
				json_int_t d = json_integer_value(json_array_get(shape, (size_t)j));
				if (d <= 0 || d > (1 << 24) || n * (size_t)d > ((size_t)1 << 26)) {
					seterr(err, errlen, "%s: %s: bad shape", manifest, name);
					free(data);
					goto out;
				}
				t->shape[j] = (int)d;
				n *= (size_t)d;
			}
			bytes = n * (size_t)qbytes;
			if (off + bytes > len) {
				seterr(err, errlen, "%s: %s needs %zu bytes at offset %zu of the shard, "
				    "which has %zu: truncated or not this model's shard", manifest, name,
				    bytes, off, len);
				free(data);
				goto out;
			}
			if ((t->v = malloc(n * sizeof *t->v)) == NULL) {
				seterr(err, errlen, "out of memory");
				free(data);
				goto out;
			}
			w->n++;
			t->n = n;
			for (k = 0; k < n; k++) {
				const unsigned char *s = data + off + k * (size_t)qbytes;
				float v;
				if (qbytes == 1)
					v = (float)(qmin + qscale * s[0]);
				else if (qbytes == 2)
					v = (float)(qmin + qscale * (s[0] | s[1] << 8));
				else
					memcpy(&v, s, 4);
				if (!isfinite(v)) {
					seterr(err, errlen, "%s: %s holds a value that is not a number",
					    manifest, name);
					free(data);
					goto out;
				}
				t->v[k] = v;
			}
			off += bytes;
		}
		if (off != len) {
			seterr(err, errlen, "%s: group %zu: the shard has %zu bytes, the manifest "
			    "describes %zu", manifest, gi, len, off);
			free(data);
			goto out;
		}
		free(data);
	}
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		tfjs_weights_free(w);
	return rc;
}

const struct tfjs_tensor *
tfjs_weights_need(const struct tfjs_weights *w, const char *manifest, const char *what,
    const char *prefix, const char *leaf, int rank, const int *shape, char *err, size_t errlen)
{
	const struct tfjs_tensor *t;
	char name[160];
	int i;

	snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix ? "/" : "", leaf);
	t = tfjs_weights_find(w, name);

	if (t == NULL) {
		seterr(err, errlen, "%s: no tensor %s: not the %s", manifest, name, what);
		return NULL;
	}
	for (i = 0; i < rank; i++)
		if (t->rank != rank || t->shape[i] != shape[i]) {
			seterr(err, errlen, "%s: %s has the wrong shape for the %s", manifest,
			    name, what);
			return NULL;
		}
	return t;
}
