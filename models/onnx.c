/*
 * ONNX files are protobuf messages.  The fields read here (onnx.proto3):
 *
 *   ModelProto      7 graph
 *   GraphProto      1 node*  5 initializer*  11 input*  12 output*
 *   ValueInfoProto  1 name
 *   NodeProto       1 input*  2 output*  3 name  4 op_type  5 attribute*
 *   AttributeProto  1 name  2 f  3 i  4 s  5 t  7 floats*  8 ints*  20 type
 *   TensorProto     1 dims*  2 data_type  4 float_data*  7 int64_data*
 *                   8 name  9 raw_data
 *
 * Everything else is skipped by wire type.  Repeated scalars may come packed
 * or one by one; both are read.
 */
#include "models/onnx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pb {
	const uint8_t *p, *end;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

static void
pb_fail(struct pb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed++)
		return;
	if (b->err == NULL || b->errlen == 0)
		return;
	n = snprintf(b->err, b->errlen, "%s: ", b->path);
	if (n < 0 || (size_t)n >= b->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static uint64_t
pb_varint(struct pb *b)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end) {
			pb_fail(b, "truncated (a number runs past the end)");
			return 0;
		}
		uint8_t c = *b->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	pb_fail(b, "damaged (a number longer than 10 bytes)");
	return 0;
}

/* A length-delimited field's bytes, as a sub-reader. */
static struct pb
pb_sub(struct pb *b)
{
	struct pb s = *b;
	uint64_t n = pb_varint(b);

	if (!b->failed && n > (uint64_t)(b->end - b->p))
		pb_fail(b, "truncated (a field of %llu bytes runs past the end)", (unsigned long long)n);
	if (b->failed) {
		s.p = s.end = b->end;
		s.failed = 1;
		return s;
	}
	s.p = b->p;
	s.end = b->p + n;
	b->p += n;
	return s;
}

/* Skips a field of wire type wt. */
static void
pb_skip(struct pb *b, int wt)
{
	switch (wt) {
	case 0: pb_varint(b); break;
	case 1:
		if (b->end - b->p < 8) pb_fail(b, "truncated");
		else b->p += 8;
		break;
	case 2: (void)pb_sub(b); break;
	case 5:
		if (b->end - b->p < 4) pb_fail(b, "truncated");
		else b->p += 4;
		break;
	default: pb_fail(b, "damaged (wire type %d)", wt);
	}
}

static int
pb_key(struct pb *b, int *field, int *wt)
{
	uint64_t k;

	if (b->failed || b->p >= b->end)
		return 0;
	k = pb_varint(b);
	*field = (int)(k >> 3);
	*wt = (int)(k & 7);
	return !b->failed;
}

static char *
pb_string(struct pb *b)
{
	struct pb s = pb_sub(b);
	char *r;

	if (b->failed)
		return NULL;
	r = malloc((size_t)(s.end - s.p) + 1);
	if (r == NULL) {
		pb_fail(b, "out of memory");
		return NULL;
	}
	memcpy(r, s.p, (size_t)(s.end - s.p));
	r[s.end - s.p] = '\0';
	return r;
}

static float
pb_f32(struct pb *b)
{
	float f = 0;

	if (b->end - b->p < 4) {
		pb_fail(b, "truncated");
		return 0;
	}
	memcpy(&f, b->p, 4);       /* little-endian, as protobuf */
	b->p += 4;
	return f;
}

/* Appends to a growing array; n is the count before. */
static void *
grow(void *a, size_t n, size_t size)
{
	if ((n & (n - 1)) == 0) {           /* 0, 1, 2, 4, 8 ... */
		size_t cap = n ? n * 2 : 1;
		return realloc(a, cap * size);
	}
	return a;
}

struct tensor_raw {
	const uint8_t *raw;
	size_t rawlen;
	float *fl;
	size_t nfl;
	int64_t *il;
	size_t nil;
};

static void
parse_tensor(struct pb *b, struct onnx_tensor *t)
{
	struct tensor_raw r = { 0 };
	int field, wt;

	memset(t, 0, sizeof *t);
	while (pb_key(b, &field, &wt)) {
		if (field == 1 && wt == 0) {
			uint64_t d = pb_varint(b);
			if (t->ndims == ONNX_MAX_DIMS) pb_fail(b, "a tensor with more than %d dimensions", ONNX_MAX_DIMS);
			else t->dims[t->ndims++] = (int64_t)d;
		} else if (field == 1 && wt == 2) {
			struct pb s = pb_sub(b);
			while (!s.failed && s.p < s.end) {
				uint64_t d = pb_varint(&s);
				if (t->ndims == ONNX_MAX_DIMS) { pb_fail(b, "a tensor with more than %d dimensions", ONNX_MAX_DIMS); break; }
				t->dims[t->ndims++] = (int64_t)d;
			}
			if (s.failed) b->failed = 1;
		} else if (field == 2 && wt == 0) {
			t->dtype = (int)pb_varint(b);
		} else if (field == 4 && (wt == 2 || wt == 5)) {
			struct pb s = wt == 2 ? pb_sub(b) : *b;
			do {
				float v = pb_f32(wt == 2 ? &s : b);
				if ((r.fl = grow(r.fl, r.nfl, sizeof *r.fl)) == NULL) { pb_fail(b, "out of memory"); break; }
				r.fl[r.nfl++] = v;
			} while (wt == 2 && !s.failed && s.p < s.end);
			if (s.failed) b->failed = 1;
		} else if (field == 7 && (wt == 0 || wt == 2)) {
			struct pb s = wt == 2 ? pb_sub(b) : *b;
			do {
				int64_t v = (int64_t)pb_varint(wt == 2 ? &s : b);
				if ((r.il = grow(r.il, r.nil, sizeof *r.il)) == NULL) { pb_fail(b, "out of memory"); break; }
				r.il[r.nil++] = v;
			} while (wt == 2 && !s.failed && s.p < s.end);
			if (s.failed) b->failed = 1;
		} else if (field == 8 && wt == 2) {
			free(t->name);
			t->name = pb_string(b);
		} else if (field == 9 && wt == 2) {
			struct pb s = pb_sub(b);
			r.raw = s.p;
			r.rawlen = (size_t)(s.end - s.p);
		} else {
			pb_skip(b, wt);
		}
	}
	if (b->failed)
		goto out;
	t->count = 1;
	for (int i = 0; i < t->ndims; i++) {
		if (t->dims[i] < 0 || (t->dims[i] > 0 && t->count > (SIZE_MAX / 8) / (size_t)t->dims[i])) {
			pb_fail(b, "tensor %s: impossible dimension %lld", t->name ? t->name : "?", (long long)t->dims[i]);
			goto out;
		}
		t->count *= (size_t)t->dims[i];
	}
	if (t->dtype == ONNX_FLOAT) {
		if (r.raw != NULL ? r.rawlen != t->count * 4 : r.nfl != t->count) {
			pb_fail(b, "tensor %s: %zu values expected, the data holds %zu", t->name ? t->name : "?",
			    t->count, r.raw != NULL ? r.rawlen / 4 : r.nfl);
			goto out;
		}
		t->f = malloc((t->count ? t->count : 1) * sizeof *t->f);
		if (t->f == NULL) { pb_fail(b, "out of memory"); goto out; }
		if (r.raw != NULL)
			memcpy(t->f, r.raw, t->count * 4);
		else if (t->count)
			memcpy(t->f, r.fl, t->count * sizeof *t->f);
	} else if (t->dtype == ONNX_INT64) {
		if (r.raw != NULL ? r.rawlen != t->count * 8 : r.nil != t->count) {
			pb_fail(b, "tensor %s: %zu values expected, the data holds %zu", t->name ? t->name : "?",
			    t->count, r.raw != NULL ? r.rawlen / 8 : r.nil);
			goto out;
		}
		t->i64 = malloc((t->count ? t->count : 1) * sizeof *t->i64);
		if (t->i64 == NULL) { pb_fail(b, "out of memory"); goto out; }
		if (r.raw != NULL)
			memcpy(t->i64, r.raw, t->count * 8);
		else if (t->count)
			memcpy(t->i64, r.il, t->count * sizeof *t->i64);
	}
out:
	free(r.fl);
	free(r.il);
}

static void
tensor_free(struct onnx_tensor *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->f);
	free(t->i64);
}

static void
parse_attr(struct pb *b, struct onnx_attr *a)
{
	int field, wt;

	while (pb_key(b, &field, &wt)) {
		if (field == 1 && wt == 2) {
			free(a->name);
			a->name = pb_string(b);
		} else if (field == 2 && wt == 5) {
			a->f = pb_f32(b);
			a->kind = 'f';
		} else if (field == 3 && wt == 0) {
			a->i = (int64_t)pb_varint(b);
			a->kind = 'i';
		} else if (field == 5 && wt == 2) {
			struct pb s = pb_sub(b);
			if (a->t == NULL && (a->t = calloc(1, sizeof *a->t)) == NULL) { pb_fail(b, "out of memory"); return; }
			tensor_free(a->t);
			parse_tensor(&s, a->t);
			if (s.failed) b->failed = 1;
			a->kind = 't';
		} else if (field == 8 && (wt == 0 || wt == 2)) {
			struct pb s = wt == 2 ? pb_sub(b) : *b;
			do {
				int64_t v = (int64_t)pb_varint(wt == 2 ? &s : b);
				if (a->nints < ONNX_MAX_INTS) a->ints[a->nints++] = v;
				else pb_fail(b, "attribute %s: more than %d numbers", a->name ? a->name : "?", ONNX_MAX_INTS);
			} while (wt == 2 && !s.failed && s.p < s.end);
			if (s.failed) b->failed = 1;
			a->kind = 'I';
		} else if (field == 4 && wt == 2) {
			(void)pb_sub(b);
			a->kind = 's';
		} else {
			pb_skip(b, wt);
		}
	}
}

static void
parse_node(struct pb *b, struct onnx_node *n)
{
	int field, wt;

	while (pb_key(b, &field, &wt)) {
		if ((field == 1 || field == 2) && wt == 2) {
			char *s = pb_string(b);
			char **v = field == 1 ? n->in : n->out;
			int *c = field == 1 ? &n->nin : &n->nout;
			if (s != NULL && *c < ONNX_MAX_IO)
				v[(*c)++] = s;
			else {
				free(s);
				pb_fail(b, "node %s: more than %d inputs or outputs", n->name ? n->name : "?", ONNX_MAX_IO);
			}
		} else if (field == 3 && wt == 2) {
			free(n->name);
			n->name = pb_string(b);
		} else if (field == 4 && wt == 2) {
			free(n->op);
			n->op = pb_string(b);
		} else if (field == 5 && wt == 2) {
			struct pb s = pb_sub(b);
			if (n->nattrs == ONNX_MAX_ATTRS) {
				pb_fail(b, "node %s: more than %d attributes", n->name ? n->name : "?", ONNX_MAX_ATTRS);
				continue;
			}
			parse_attr(&s, &n->attrs[n->nattrs++]);
			if (s.failed) b->failed = 1;
		} else {
			pb_skip(b, wt);
		}
	}
	if (!b->failed && n->op == NULL)
		pb_fail(b, "a node without an operator");
}

static char *
value_info_name(struct pb *b)
{
	struct pb s = pb_sub(b);
	int field, wt;
	char *name = NULL;

	while (pb_key(&s, &field, &wt)) {
		if (field == 1 && wt == 2) {
			free(name);
			name = pb_string(&s);
		} else {
			pb_skip(&s, wt);
		}
	}
	if (s.failed)
		b->failed = 1;
	return name;
}

static void
parse_graph(struct pb *b, struct onnx_model *m)
{
	int field, wt;
	char **inputs = NULL;
	size_t ninputs = 0;

	while (pb_key(b, &field, &wt)) {
		if (field == 1 && wt == 2) {
			struct pb s = pb_sub(b);
			struct onnx_node *nn = grow(m->nodes, m->nnodes, sizeof *m->nodes);
			if (nn == NULL) { pb_fail(b, "out of memory"); break; }
			m->nodes = nn;
			memset(&m->nodes[m->nnodes], 0, sizeof *m->nodes);
			parse_node(&s, &m->nodes[m->nnodes++]);
			if (s.failed) b->failed = 1;
		} else if (field == 5 && wt == 2) {
			struct pb s = pb_sub(b);
			struct onnx_tensor *nt = grow(m->inits, m->ninits, sizeof *m->inits);
			if (nt == NULL) { pb_fail(b, "out of memory"); break; }
			m->inits = nt;
			parse_tensor(&s, &m->inits[m->ninits++]);
			if (s.failed) b->failed = 1;
		} else if (field == 11 && wt == 2) {
			char *name = value_info_name(b);
			char **ni = grow(inputs, ninputs, sizeof *inputs);
			if (ni == NULL) { free(name); pb_fail(b, "out of memory"); break; }
			inputs = ni;
			inputs[ninputs++] = name;
		} else if (field == 12 && wt == 2) {
			char *name = value_info_name(b);
			if (m->output == NULL) m->output = name;
			else free(name);
		} else {
			pb_skip(b, wt);
		}
	}
	for (size_t i = 0; i < ninputs; i++) {
		/* A damaged graph may hold a node without its operator: look
		 * nothing up in it. */
		if (!b->failed && m->input == NULL && inputs[i] != NULL && onnx_find(m, inputs[i]) == NULL) {
			m->input = inputs[i];
			continue;
		}
		free(inputs[i]);
	}
	free(inputs);
}

struct onnx_model *
onnx_parse(const uint8_t *buf, size_t len, const char *path, char *err, size_t errlen)
{
	struct pb b = { buf, buf + len, path, err, errlen, 0 };
	struct onnx_model *m = calloc(1, sizeof *m);
	int field, wt, graphs = 0;

	if (m == NULL || (m->path = strdup(path)) == NULL) {
		free(m);
		pb_fail(&b, "out of memory");
		return NULL;
	}
	while (pb_key(&b, &field, &wt)) {
		if (field == 7 && wt == 2) {
			struct pb s = pb_sub(&b);
			if (graphs++) { pb_fail(&b, "more than one graph"); break; }
			parse_graph(&s, m);
			if (s.failed) b.failed = 1;
		} else {
			pb_skip(&b, wt);
		}
	}
	if (!b.failed && graphs == 0)
		pb_fail(&b, "no graph: not an ONNX model");
	if (!b.failed && (m->nnodes == 0 || m->input == NULL || m->output == NULL))
		pb_fail(&b, "the graph has no nodes, input or output");
	if (b.failed) {
		onnx_free(m);
		return NULL;
	}
	return m;
}

struct onnx_model *
onnx_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	struct onnx_model *m = NULL;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(len ? (size_t)len : 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		snprintf(err, errlen, "%s: short read", path);
		goto out;
	}
	m = onnx_parse(buf, (size_t)len, path, err, errlen);
out:
	free(buf);
	fclose(f);
	return m;
}

void
onnx_free(struct onnx_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nnodes; i++) {
		struct onnx_node *n = &m->nodes[i];
		free(n->op);
		free(n->name);
		for (int j = 0; j < n->nin; j++) free(n->in[j]);
		for (int j = 0; j < n->nout; j++) free(n->out[j]);
		for (int j = 0; j < n->nattrs; j++) {
			free(n->attrs[j].name);
			tensor_free(n->attrs[j].t);
			free(n->attrs[j].t);
		}
	}
	for (size_t i = 0; i < m->ninits; i++)
		tensor_free(&m->inits[i]);
	free(m->nodes);
	free(m->inits);
	free(m->input);
	free(m->output);
	free(m->path);
	free(m);
}

const struct onnx_tensor *
onnx_find(const struct onnx_model *m, const char *name)
{
	for (size_t i = 0; i < m->ninits; i++)
		if (m->inits[i].name != NULL && strcmp(m->inits[i].name, name) == 0)
			return &m->inits[i];
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct onnx_node *n = &m->nodes[i];
		if (n->op != NULL && strcmp(n->op, "Constant") == 0 && n->nout == 1 && strcmp(n->out[0], name) == 0) {
			const struct onnx_attr *a = onnx_attr(n, "value");
			return a != NULL && a->kind == 't' ? a->t : NULL;
		}
	}
	return NULL;
}

const struct onnx_attr *
onnx_attr(const struct onnx_node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (n->attrs[i].name != NULL && strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	return NULL;
}

const struct onnx_node *
onnx_consumer(const struct onnx_model *m, const char *name)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (m->nodes[i].op != NULL && m->nodes[i].nin > 0 && strcmp(m->nodes[i].in[0], name) == 0)
			return &m->nodes[i];
	return NULL;
}
