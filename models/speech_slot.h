/*
 * speech_slot — a recognizer, the catalogue it was made for and its own
 * copy of the configuration, and the one way to swap in a recognizer for a
 * reloaded catalogue.  The listener (room microphone) and remote voice
 * (the remotes' button) each keep one; only their own thread touches it.
 */
#ifndef SO_SPEECH_SLOT_H
#define SO_SPEECH_SLOT_H

#include <stddef.h>

#include "models/speech.h"

struct speech_slot {
	struct speech_config    cfg;     /* the strings are the slot's own copies */
	struct speech          *speech;
	const struct catalogue *cat;     /* the slot's reference */
	speech_cb               cb;
	void                   *ud;
	char                   *own[5];  /* the copied strings, freed by the slot */
	/* cfg.extra (the grammar-only phrases): the slot holds a reference */
};

/* Copies cfg (taking a reference of its own to cfg->extra) and makes the
 * first recognizer for cat, taking the caller's reference to cat on
 * success only.  0, or -1 with err (nothing to free). */
int  speech_slot_init(struct speech_slot *s, const struct speech_config *cfg,
                      const struct catalogue *cat, speech_cb cb, void *ud, char *err, size_t errlen);
/*
 * A recognizer for next, taking the caller's reference to next: on success
 * it replaces the old one (its stream time goes on) and the old catalogue
 * is let go; on failure the old recognizer stays, next is let go, and err
 * says why.  Call between utterances only (speech_busy is 0).
 */
int  speech_slot_swap(struct speech_slot *s, const struct catalogue *next, char *err, size_t errlen);
/*
 * The same, for a new catalogue and/or new grammar-only phrases: next NULL
 * keeps the catalogue, extra_changed 0 keeps the phrases; extra (NULL for
 * none) comes with the caller's reference, which is taken on success and
 * on failure alike.
 */
int  speech_slot_rebuild(struct speech_slot *s, const struct catalogue *next, int extra_changed,
                         const struct grammar_extra *extra, char *err, size_t errlen);
void speech_slot_free(struct speech_slot *s);

#endif
