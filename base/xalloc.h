/*
 * xalloc — the allocation-failure policy, in one place.
 *
 * Memory the daemon sizes itself (its structures, copies of configuration
 * strings, queues, events) comes from xmalloc and friends: on Linux a NULL
 * there means the machine is out of memory, and no caller could do better
 * than stop, so they call fatalx() with what was asked and never return
 * NULL.  Memory sized by input (a WAV header, an ONNX tensor, a head file,
 * a catalogue, a client's message) is different: a parser checks the size
 * against the file first and uses plain malloc with a NULL check, so that a
 * bad file is an error and never a fatal stop (the fuzz harnesses hold it).
 */
#ifndef SO_XALLOC_H
#define SO_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The first n bytes of s (no NUL among them), as a string. */
char *xstrndup(const char *s, size_t n);

#endif
