#include "models/speech_slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalogue.h"
#include "models/grammar.h"

static void
free_own(struct speech_slot *s)
{
	for (size_t i = 0; i < sizeof s->own / sizeof s->own[0]; i++) {
		free(s->own[i]);
		s->own[i] = NULL;
	}
}

int
speech_slot_init(struct speech_slot *s, const struct speech_config *cfg,
    const struct catalogue *cat, speech_cb cb, void *ud, char *err, size_t errlen)
{
	const char *src[5] = { cfg->hmm, cfg->cmudict, cfg->embed_models, cfg->heads,
	    cfg->decoder_args != NULL ? cfg->decoder_args : "" };

	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	for (int i = 0; i < 5; i++)
		if (src[i] != NULL && (s->own[i] = strdup(src[i])) == NULL) {
			free_own(s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	s->cfg.hmm = s->own[0];
	s->cfg.cmudict = s->own[1];
	s->cfg.embed_models = s->own[2];
	s->cfg.heads = s->own[3];
	s->cfg.decoder_args = s->own[4];
	s->cfg.extra = grammar_extra_ref(cfg->extra);
	s->cb = cb;
	s->ud = ud;
	if ((s->speech = speech_new(&s->cfg, cat, cb, ud, err, errlen)) == NULL) {
		free_own(s);
		grammar_extra_free(s->cfg.extra);
		s->cfg.extra = NULL;
		return -1;
	}
	s->cat = cat;
	return 0;
}

int
speech_slot_swap(struct speech_slot *s, const struct catalogue *next, char *err, size_t errlen)
{
	return speech_slot_rebuild(s, next, 0, NULL, err, errlen);
}

int
speech_slot_rebuild(struct speech_slot *s, const struct catalogue *next, int extra_changed,
                    const struct grammar_extra *extra, char *err, size_t errlen)
{
	struct speech_config cfg = s->cfg;
	const struct catalogue *cat = next != NULL ? next : s->cat;
	struct speech *sp;

	if (extra_changed)
		cfg.extra = extra;
	if ((sp = speech_new(&cfg, cat, s->cb, s->ud, err, errlen)) == NULL) {
		catalogue_free(next);           /* our reference to it */
		if (extra_changed)
			grammar_extra_free(extra);
		return -1;
	}
	/* Stream time goes on across the swap. */
	speech_continue(sp, s->speech);
	speech_free(s->speech);
	s->speech = sp;
	if (next != NULL) {
		catalogue_free(s->cat);     /* switched away from it */
		s->cat = next;
	}
	if (extra_changed) {
		grammar_extra_free(s->cfg.extra);
		s->cfg.extra = extra;
	}
	return 0;
}

void
speech_slot_free(struct speech_slot *s)
{
	speech_free(s->speech);
	s->speech = NULL;
	catalogue_free(s->cat);
	s->cat = NULL;
	grammar_extra_free(s->cfg.extra);
	s->cfg.extra = NULL;
	free_own(s);
}
