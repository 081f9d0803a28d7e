/*
 * onnx — reads the parts of an ONNX model file that a forward pass needs:
 * the graph's nodes (operator, inputs, outputs, attributes) and its
 * initializers (weights) as float32 or int64 arrays.
 *
 * It is a protobuf reader for the ModelProto / GraphProto / NodeProto /
 * AttributeProto / TensorProto fields listed in onnx.c, nothing more: no
 * execution.  Every length is checked against the file, so a truncated or
 * damaged file gives an error naming the file and what is wrong, never a
 * read past the buffer.  Tensor data types other than float32 and int64 are
 * kept as raw bytes and refused by onnx_tensor_floats().
 */
#ifndef SO_ONNX_H
#define SO_ONNX_H

#include <stddef.h>
#include <stdint.h>

#define ONNX_MAX_DIMS  8
#define ONNX_MAX_IO    8     /* inputs or outputs of one node */
#define ONNX_MAX_ATTRS 12
#define ONNX_MAX_INTS  8

enum onnx_dtype { ONNX_FLOAT = 1, ONNX_INT64 = 7 };

struct onnx_tensor {
	char    *name;
	int      dtype;                 /* enum onnx_dtype, or another ONNX code */
	int      ndims;
	int64_t  dims[ONNX_MAX_DIMS];
	size_t   count;                 /* product of dims (1 for a scalar) */
	float   *f;                     /* count floats when dtype is ONNX_FLOAT */
	int64_t *i64;                   /* count values when dtype is ONNX_INT64 */
};

struct onnx_attr {
	char   *name;
	int     kind;                   /* 'f', 'i', 's', 't', 'F' floats, 'I' ints */
	float   f;
	int64_t i;
	int64_t ints[ONNX_MAX_INTS];
	int     nints;
	struct onnx_tensor *t;
};

struct onnx_node {
	char *op;                       /* "Conv" */
	char *name;
	char *in[ONNX_MAX_IO];
	int   nin;
	char *out[ONNX_MAX_IO];
	int   nout;
	struct onnx_attr attrs[ONNX_MAX_ATTRS];
	int   nattrs;
};

struct onnx_model {
	char   *path;
	struct onnx_node   *nodes;
	size_t  nnodes;
	struct onnx_tensor *inits;
	size_t  ninits;
	char   *input;                  /* the graph's first input that is no initializer */
	char   *output;                 /* the graph's first output */
};

/* Reads and parses path.  NULL with err ("PATH: what is wrong") on failure. */
struct onnx_model *onnx_load(const char *path, char *err, size_t errlen);
/* Parses a model held in memory; `path` only names it in errors. */
struct onnx_model *onnx_parse(const uint8_t *buf, size_t len, const char *path, char *err, size_t errlen);
void onnx_free(struct onnx_model *m);

/* The initializer called name, or the tensor of the Constant node whose
 * output is name; NULL when neither exists. */
const struct onnx_tensor *onnx_find(const struct onnx_model *m, const char *name);
/* The attribute called name of node n, or NULL. */
const struct onnx_attr *onnx_attr(const struct onnx_node *n, const char *name);
/* The node that reads `name` as its first input, or NULL. */
const struct onnx_node *onnx_consumer(const struct onnx_model *m, const char *name);

#endif
