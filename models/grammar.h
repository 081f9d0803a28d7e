/*
 * grammar — everything the recognizer needs, generated from the catalogue:
 * the JSGF command grammar (with a garbage branch so that speech that is no
 * command has somewhere to go), the wake-phrase grammar used to re-score
 * wake candidates, the pronunciation dictionary, and the way back from a
 * recognized word string to a catalogue entry.
 */
#ifndef SO_GRAMMAR_H
#define SO_GRAMMAR_H

#include <stdatomic.h>
#include <stdio.h>

#include "models/catalogue.h"

/*
 * Grammar-only phrases: said, never trained.  The daemon builds them at
 * run time from what changes per office (the briefing folder's document
 * titles) and what the intent head was not trained on ("voice call"); no
 * head knows them, so they are not catalogue entries (the heads' check
 * would warn) and only the grammar (PocketSphinx, the embedding engine's
 * second opinion) hears them.  Immutable once built; shared by reference
 * between the service thread and the recognizers' threads.
 */
struct grammar_phrase {
	struct catalogue_entry e;   /* id ("voice-call", "tv-open"), en (the title),
	                               detail (the caller's tag: a file name), say[0] */
	int document;               /* said as "open|show [the] <say>" */
};

struct grammar_extra {
	struct grammar_phrase *p;
	size_t n;
	char **words;               /* every word they use, "open", "show", "the" too */
	size_t nwords;
	atomic_int refs;            /* references besides the first */
};

struct grammar_extra *grammar_extra_new(void);
/* Adds one phrase (lower-case words, one space apart).  0, or -1 for an
 * empty or malformed phrase. */
int  grammar_extra_add(struct grammar_extra *x, const char *id, const char *en, const char *tag,
                       int document, const char *phrase);
const struct grammar_extra *grammar_extra_ref(const struct grammar_extra *x);
/* Drops a reference; the last frees.  NULL is fine. */
void grammar_extra_free(const struct grammar_extra *x);
/* The same phrases in the same order (NULL is the empty set). */
int  grammar_extra_same(const struct grammar_extra *a, const struct grammar_extra *b);

/*
 * What a document title is said as: its words less those made only of
 * digits ("2026 budget report" -> "budget report": a year has no entry in
 * the pronunciation dictionary, and people leave it out).  0, or -1 when
 * no word is left.
 */
int  grammar_title_spoken(const char *title, char *out, size_t len);

/*
 * Which of words[0..n) can be said: known[i] = 1 when the catalogue's
 * "pronunciations" or the CMU dictionary at cmudict has the word.  0, or
 * -1 with err when the dictionary cannot be read.
 */
int  grammar_known_words(const struct catalogue *c, const char *cmudict, const char *const *words,
                         size_t n, unsigned char *known, char *err, size_t errlen);

/* The command grammar, as JSGF text (malloc'd).  The _x forms add the
 * grammar-only phrases x (NULL: none): plain ones as targets beside the
 * catalogue's, documents in a rule of their own, "open|show [the] TITLE". */
char *grammar_command_jsgf(const struct catalogue *c);
char *grammar_command_jsgf_x(const struct catalogue *c, const struct grammar_extra *x);
/* Ordinary speech: a loop of the filler words alone (malloc'd).  Fillers
 * that the catalogue or x use are left out. */
char *grammar_garbage_jsgf(const struct catalogue *c);
char *grammar_garbage_jsgf_x(const struct catalogue *c, const struct grammar_extra *x);
/* A grammar that only accepts the wake phrase (malloc'd). */
char *grammar_wake_jsgf(const struct catalogue *c);

/*
 * Writes a pronunciation dictionary (PocketSphinx format) for every word
 * the grammars use.  Phones come from the catalogue's "pronunciations"
 * first, then from the CMU dictionary at cmudict (all its variants).
 * Returns 0, or -1 with err naming each word that has no pronunciation.
 */
int grammar_write_dict(const struct catalogue *c, const char *cmudict, FILE *out,
                       char *err, size_t errlen);
int grammar_write_dict_x(const struct catalogue *c, const struct grammar_extra *x, const char *cmudict,
                         FILE *out, char *err, size_t errlen);

/*
 * Maps a recognized word string back to the entry it names, removing the
 * carrier words ("show me", "please") around it.  Returns NULL for garbage
 * or anything the grammar would not produce.
 */
const struct catalogue_entry *grammar_match(const struct catalogue *c, const char *hyp);
/* The same with x's phrases: the catalogue's entries first, then x's
 * (a returned entry of x is &x->p[i].e, valid while x is). */
const struct catalogue_entry *grammar_match_x(const struct catalogue *c, const struct grammar_extra *x,
                                              const char *hyp);

/* The filler words of the garbage branch (NULL-terminated). */
extern const char *const grammar_fillers[];

#endif
