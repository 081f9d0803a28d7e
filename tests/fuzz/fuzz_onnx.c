/*
 * fuzz_onnx — an ONNX model file (models/onnx.c: onnx_parse, the protobuf
 * reader behind the speech embedding's models and any other model file).
 *
 * Invariants: a refused file has a message; an accepted one has nodes, an
 * input and an output, every node an operator; each float32 or int64
 * tensor (initializers and tensor attributes) holds the product of its
 * dimensions in values, every one readable; the look-ups (onnx_find,
 * onnx_attr, onnx_consumer) work on every name the graph uses.
 */
#include "tests/fuzz/fuzz.h"

#include "models/onnx.h"

static double sink;

static void
touch(const struct onnx_tensor *t)
{
	size_t count = 1;

	FUZZ_CHECK(t->ndims >= 0 && t->ndims <= ONNX_MAX_DIMS);
	for (int i = 0; i < t->ndims; i++) {
		FUZZ_CHECK(t->dims[i] >= 0);
		count *= (size_t)t->dims[i];
	}
	FUZZ_CHECK(t->count == count);
	if (t->dtype == ONNX_FLOAT) {
		FUZZ_CHECK(t->f != NULL);
		for (size_t i = 0; i < t->count; i++)
			sink += t->f[i];
	} else if (t->dtype == ONNX_INT64) {
		FUZZ_CHECK(t->i64 != NULL);
		for (size_t i = 0; i < t->count; i++)
			sink += (double)t->i64[i];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct onnx_model *m;

	err[0] = '\0';
	m = onnx_parse(data, size, "fuzz.onnx", err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(m != NULL, err);
	if (m == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(m->nnodes > 0 && m->input != NULL && m->output != NULL);
	FUZZ_CHECK(onnx_find(m, m->input) == NULL);
	(void)onnx_consumer(m, m->input);
	(void)onnx_find(m, m->output);
	for (size_t i = 0; i < m->ninits; i++)
		touch(&m->inits[i]);
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct onnx_node *n = &m->nodes[i];
		FUZZ_CHECK(n->op != NULL);
		FUZZ_CHECK(n->nin >= 0 && n->nin <= ONNX_MAX_IO && n->nout >= 0 && n->nout <= ONNX_MAX_IO);
		FUZZ_CHECK(n->nattrs >= 0 && n->nattrs <= ONNX_MAX_ATTRS);
		for (int j = 0; j < n->nin; j++) {
			const struct onnx_tensor *t = onnx_find(m, n->in[j]);
			if (t != NULL)
				touch(t);
			(void)onnx_consumer(m, n->in[j]);
		}
		for (int j = 0; j < n->nout; j++)
			(void)onnx_consumer(m, n->out[j]);
		for (int j = 0; j < n->nattrs; j++) {
			const struct onnx_attr *a = &n->attrs[j];
			FUZZ_CHECK(a->nints >= 0 && a->nints <= ONNX_MAX_INTS);
			if (a->name != NULL)
				FUZZ_CHECK(onnx_attr(n, a->name) != NULL);
			if (a->kind == 't')
				FUZZ_CHECK(a->t != NULL);
			if (a->t != NULL)
				touch(a->t);
		}
	}
	onnx_free(m);
	return 0;
}
