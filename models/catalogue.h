/*
 * catalogue — the content catalogue: every screen the dashboards can show,
 * every presenter control, and the words a person uses for them.
 *
 * It is the single source of truth: the speech grammar, the pronunciation
 * dictionary, the hello message's content list, the remote's icons and what
 * is private are all derived from models/catalogue.json, never written twice.
 */
#ifndef SO_CATALOGUE_H
#define SO_CATALOGUE_H

#include <stdatomic.h>
#include <stddef.h>

enum catalogue_privacy { CAT_PUBLIC, CAT_PRIVATE };

struct catalogue_entry {
	char  *id;        /* "air-quality" */
	char  *en;        /* "Air quality" */
	char  *ko;        /* "대기환경" (controls: NULL) */
	char  *detail;    /* optional longer description, or NULL */
	enum catalogue_privacy privacy;
	int    is_control;
	char **say;       /* phrases, lower case words separated by one space */
	size_t nsay;
};

/* A book on the shelf (the "books" section): the ArUco marker on its spine
 * (devices/cv_shelf.h, ids 0..49) and what taking it shows: a content
 * screen or a document of documents_dir ("private/NAME.pdf"). */
struct catalogue_book {
	int    marker;
	char  *id;        /* "seoul-2040-plan" */
	char  *en, *ko;   /* titles */
	char  *content;   /* a content entry's id, or NULL */
	char  *document;  /* "public/NAME.pdf" or "private/NAME.pdf", or NULL */
	enum catalogue_privacy privacy;
};

struct catalogue_pron {
	char *word;       /* "ttareungyi" */
	char *phones;     /* "T AA R AH NG IY" */
};

struct catalogue {
	char  *path;
	char  *wake;                       /* "hey seoul" */
	struct catalogue_entry *entries;   /* content first, then controls */
	size_t ncontent, nentries;
	struct catalogue_pron *prons;
	size_t nprons;
	char **before, **after;            /* carrier phrases around a name */
	size_t nbefore, nafter;
	char **words;                      /* every distinct word used by the wake
	                                      phrase, phrases and carriers */
	size_t nwords;
	struct catalogue_book *books;      /* the shelf's books, in file order */
	size_t nbooks;
	atomic_int refs;                   /* references besides the first
	                                      (catalogue_ref): not content */
};

/*
 * Loads and checks a catalogue file.  On error returns NULL and writes
 * "file:line: what is wrong" into err (every problem found, one per line,
 * up to errlen).
 */
struct catalogue *catalogue_load(const char *path, char *err, size_t errlen);

/*
 * References, for a catalogue several threads use (the service thread, the
 * room listener and the remote voice recognizer across a reload): a loaded
 * catalogue has one; catalogue_ref adds one (and returns c), catalogue_free
 * drops one and frees the catalogue with the last.  Any thread.  The count
 * is not content: a const catalogue may be referenced and released.
 */
const struct catalogue *catalogue_ref(const struct catalogue *c);
void catalogue_free(const struct catalogue *c);
/* References held now (1 when only the loader's is left). */
int  catalogue_refs(const struct catalogue *c);

/* 1 when a and b say the same (file, wake phrase, entries, pronunciations,
 * carriers), e.g. the same file loaded twice; else 0. */
int  catalogue_same(const struct catalogue *a, const struct catalogue *b);

/* Entry by id (content or control), or NULL. */
const struct catalogue_entry *catalogue_find(const struct catalogue *c, const char *id);
/* The book whose spine carries this marker, or NULL. */
const struct catalogue_book *catalogue_book_by_marker(const struct catalogue *c, int marker);


#endif
