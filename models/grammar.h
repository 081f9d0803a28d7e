/*
 * grammar — everything the recognizer needs, generated from the catalogue:
 * the JSGF command grammar (with a garbage branch so that speech that is no
 * command has somewhere to go), the wake-phrase grammar used to re-score
 * wake candidates, the pronunciation dictionary, and the way back from a
 * recognized word string to a catalogue entry.
 */
#ifndef SO_GRAMMAR_H
#define SO_GRAMMAR_H

#include <stdio.h>

#include "models/catalogue.h"

/* The command grammar, as JSGF text (malloc'd). */
char *grammar_command_jsgf(const struct catalogue *c);
/* Ordinary speech: a loop of the filler words alone (malloc'd). */
char *grammar_garbage_jsgf(const struct catalogue *c);
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

/*
 * Maps a recognized word string back to the entry it names, removing the
 * carrier words ("show me", "please") around it.  Returns NULL for garbage
 * or anything the grammar would not produce.
 */
const struct catalogue_entry *grammar_match(const struct catalogue *c, const char *hyp);

/* The filler words of the garbage branch (NULL-terminated). */
extern const char *const grammar_fillers[];

#endif
