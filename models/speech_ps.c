#include "models/speech_engine.h"

#include <math.h>
#include <pocketsphinx.h>
#include <pthread.h>
#include <sphinxbase/err.h>
#include <jsgf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "models/grammar.h"

#define FRAME        160                     /* samples per 10 ms frame */
#define HIST_SAMPLES (6 * SPEECH_RATE)       /* audio kept for re-scoring */
#define REFUSE_STEP  (SPEECH_RATE / 10)      /* re-search after a refusal from here */
#define MUTE_TAIL    0.3                     /* echo after our own voice, s */
#define WAKE_PAD     (SPEECH_RATE / 5)      /* context around a candidate */

enum state { ST_WAKE, ST_COMMAND };

struct speech_ps {
	struct speech_config cfg;
	const struct catalogue *cat;
	ps_decoder_t *ps;
	speech_cb     cb;
	void         *ud;

	enum state    state;
	uint64_t      pos;          /* samples fed so far */
	uint64_t      utt_start;    /* stream sample where the current utt began */
	int16_t      *hist;         /* ring of the last HIST_SAMPLES samples */

	/* command window */
	uint64_t      cmd_start, last_voice;
	int           voice_seen;
	int16_t      *cmd;          /* the command utterance, for the re-score */
	size_t        cmd_len, cmd_cap;

	/* Our own energy VAD: PocketSphinx's only works when it may drop
	 * silent frames, and then its frame numbers no longer tell time. */
	double        floor_db;     /* noise floor estimate */
	int           voiced_run, silent_run;
	int           in_speech;

	double        mute_from, mute_to;   /* our own voice, wake side (with tail) */
	double        hold_until;           /* our own voice, command side */
	int           held;                 /* command utterance ended for it */
	uint64_t      frames_done;  /* frames decoded in all utterances so far */
	uint64_t      kws_base;     /* frames_done when the keyword search began */
	char          text[512];
	int16_t       part[FRAME];  /* a frame's worth not yet complete */
	int           utt_open;     /* the decoder is inside an utterance */
	size_t        npart;
};

static void end_utt(struct speech_ps *s);
static void feed_frame(struct speech_ps *s, const int16_t *pcm);

static double
now_s(const struct speech_ps *s)
{
	return (double)s->pos / SPEECH_RATE;
}

double
speech_ps_time(const struct speech_ps *s)
{
	/* Every sample received, a frame still being filled included. */
	return (double)(s->pos + s->npart) / SPEECH_RATE;
}

/* Copies stream samples [from, to) out of the history ring. */
static size_t
hist_copy(const struct speech_ps *s, uint64_t from, uint64_t to, int16_t *out)
{
	size_t n = 0;

	if (to > s->pos)
		to = s->pos;
	if (s->pos > HIST_SAMPLES && from < s->pos - HIST_SAMPLES)
		from = s->pos - HIST_SAMPLES;
	for (uint64_t i = from; i < to; i++)
		out[n++] = s->hist[i % HIST_SAMPLES];
	return n;
}

/* Total best-path score of pcm under a search, and its frame count. */
static int
decode_score(struct speech_ps *s, const char *search, const int16_t *pcm, size_t n, int32 *score, int *nfr)
{
	if (ps_set_search(s->ps, search) < 0 || ps_start_utt(s->ps) < 0)
		return -1;
	ps_process_raw(s->ps, pcm, n, FALSE, TRUE);
	end_utt(s);
	*nfr = ps_get_n_frames(s->ps);
	return ps_get_hyp(s->ps, score) != NULL ? 0 : -1;
}

/*
 * How much better `search` explains pcm than ordinary speech does: the
 * per-frame difference of the best-path scores under that grammar and
 * under the garbage grammar (a loop of frequent short words), both decoded
 * with the same weights and penalties, so the two are comparable.
 * Positive: the words fit better than any run of everyday words.
 */
static double
versus_garbage(struct speech_ps *s, const char *search, const int16_t *pcm, size_t n)
{
	int32 words, garbage;
	int nfr, nfr_g;

	if (decode_score(s, search, pcm, n, &words, &nfr) < 0 || nfr <= 0)
		return -INFINITY;
	if (decode_score(s, "garbage", pcm, n, &garbage, &nfr_g) < 0)
		return INFINITY;
	return (double)(words - garbage) / nfr;
}

/*
 * Updates the energy VAD with one 10 ms frame.  Speech starts after 50 ms
 * at 12 dB over the noise floor and ends after end_silence_ms below 8 dB
 * over it (hysteresis); the floor follows quiet frames quickly and loud
 * ones slowly, so it settles on the room's noise.
 */
static void
vad_frame(struct speech_ps *s, const int16_t *pcm, size_t n)
{
	double e = 0.0, db;

	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	db = 10.0 * log10(e / (n ? n : 1) + 1.0);
	if (db < s->floor_db)
		s->floor_db = 0.7 * s->floor_db + 0.3 * db;
	else
		s->floor_db += 0.02 * (db - s->floor_db) * (s->in_speech ? 0.1 : 1.0);
	if (s->floor_db < 20.0)
		s->floor_db = 20.0;     /* digital silence: do not chase log(0) */
	if (db > s->floor_db + 12.0) {
		s->voiced_run++;
		s->silent_run = 0;
	} else if (db < s->floor_db + 8.0) {
		s->silent_run++;
		s->voiced_run = 0;
	}
	if (!s->in_speech && s->voiced_run >= 5)
		s->in_speech = 1;
	else if (s->in_speech && s->silent_run * 10 >= s->cfg.end_silence_ms)
		s->in_speech = 0;
}

/* Ends the decoder's utterance, counting its frames (see frames_done). */
static void
end_utt(struct speech_ps *s)
{
	ps_end_utt(s->ps);
	s->utt_open = 0;
	s->frames_done += (uint64_t)ps_get_n_frames(s->ps);
}

static void
start_wake(struct speech_ps *s)
{
	s->state = ST_WAKE;
	ps_set_search(s->ps, "wake");
	ps_start_utt(s->ps);
	s->utt_open = 1;
	s->utt_start = s->pos;
	s->kws_base = s->frames_done;
}

/*
 * A low keyword-search threshold often fires on the first half of the
 * phrase ("hey"), which the re-score then refuses.  Searching on from the
 * detection would lose the real phrase that was still being said, so the
 * search starts again a little after the refused candidate's start, on the
 * audio kept in the history.  Each refusal moves on by REFUSE_STEP: no loop.
 */
static void
restart_wake_from(struct speech_ps *s, uint64_t from)
{
	int16_t *buf;
	size_t n;

	if (from >= s->pos || s->pos - from > HIST_SAMPLES / 2) {
		start_wake(s);
		return;
	}
	n = (size_t)(s->pos - from);
	buf = malloc(n * sizeof *buf);
	n = hist_copy(s, from, s->pos, buf);
	start_wake(s);
	s->utt_start = from;
	/* A hit inside the replay is taken up by the next live frame's check. */
	ps_process_raw(s->ps, buf, n, FALSE, FALSE);
	free(buf);
}

static void
emit(struct speech_ps *s, struct speech_result *r)
{
	if (s->cb != NULL)
		s->cb(s->ud, r);
}

static void
start_command(struct speech_ps *s, uint64_t from)
{
	s->state = ST_COMMAND;
	s->cmd_start = from;
	s->last_voice = from;
	s->voice_seen = 0;
	s->in_speech = 0;       /* the wake phrase's speech is not the command's */
	s->voiced_run = s->silent_run = 0;
	s->cmd_len = 0;
	ps_set_search(s->ps, "command");
	ps_start_utt(s->ps);
	s->utt_open = 1;
	s->utt_start = from;
}

static void
cmd_append(struct speech_ps *s, const int16_t *pcm, size_t n)
{
	if (s->cmd_len + n > s->cmd_cap) {
		s->cmd_cap = (s->cmd_len + n) * 2;
		s->cmd = realloc(s->cmd, s->cmd_cap * sizeof *s->cmd);
	}
	memcpy(s->cmd + s->cmd_len, pcm, n * sizeof *pcm);
	s->cmd_len += n;
}

static double
llr_to_confidence(double llr)
{
	/* Logistic map of the per-frame score margin over garbage: 0.5 where
	 * the command and everyday words fit equally well. */
	return 1.0 / (1.0 + exp(-llr / 3.0));
}

/* The command window closes: decide, report, go back to the wake search. */
static void
finish_command(struct speech_ps *s, const char *why)
{
	struct speech_result r = { .kind = SPEECH_REJECT, .t = now_s(s) };
	const char *hyp;
	int32 score;

	if (s->held) {
		/* Nothing was decoded since our own voice began. */
		s->held = 0;
		why = "timeout";
	} else {
		end_utt(s);
	}
	/* last_voice is when the VAD last called it speech; the words
	 * ended about end_silence_ms before the VAD let go. */
	r.t_speech_end = (double)s->last_voice / SPEECH_RATE - s->cfg.end_silence_ms / 1000.0;
	if (r.t_speech_end < (double)s->cmd_start / SPEECH_RATE)
		r.t_speech_end = (double)s->cmd_start / SPEECH_RATE;
	hyp = ps_get_hyp(s->ps, &score);
	if (why != NULL) {
		r.reason = why;
	} else if (hyp == NULL || *hyp == '\0') {
		r.reason = "no-command";
	} else {
		snprintf(s->text, sizeof s->text, "%s", hyp);
		r.text = s->text;
		r.entry = grammar_match_x(s->cat, s->cfg.extra, s->text);
		if (r.entry == NULL) {
			r.reason = "no-command";
		} else {
			char keep[sizeof s->text];
			memcpy(keep, s->text, sizeof keep);
			r.llr = versus_garbage(s, "command", s->cmd, s->cmd_len);
			memcpy(s->text, keep, sizeof keep);
			r.confidence = llr_to_confidence(r.llr);
			if (r.confidence < s->cfg.cmd_min_confidence) {
				r.reason = "low-confidence";
				r.entry = NULL;
			} else {
				r.kind = SPEECH_COMMAND;
			}
		}
	}
	log_debug("command window %.2f-%.2f: \"%s\" llr %.3f -> %s", (double)s->cmd_start / SPEECH_RATE,
	    r.t_speech_end, r.text ? r.text : "", r.llr, r.kind == SPEECH_COMMAND ? "command" : r.reason);
	emit(s, &r);
	start_wake(s);
}

/* A keyword-search hit: re-score it, and on success open the command window. */
static void
wake_candidate(struct speech_ps *s)
{
	int16_t *buf;
	ps_seg_t *seg;
	int sf = 0, ef = 0;
	uint64_t kw_start, kw_end, from;
	size_t n;
	double llr = 0.0, t0, t1;

	for (seg = ps_seg_iter(s->ps); seg != NULL; seg = ps_seg_next(seg))
		ps_seg_frames(seg, &sf, &ef);
	/* PocketSphinx 5prealpha numbers keyword-search frames from the
	 * decoder's first utterance, not this one: take away what came before. */
	sf -= (int)s->kws_base;
	ef -= (int)s->kws_base;
	if (sf < 0)
		sf = 0;
	if (ef < sf)
		ef = sf;
	end_utt(s);
	kw_start = s->utt_start + (uint64_t)sf * FRAME;
	kw_end = s->utt_start + (uint64_t)(ef + 1) * FRAME;
	if (kw_end > s->pos)
		kw_end = s->pos;
	t0 = (double)kw_start / SPEECH_RATE;
	t1 = (double)kw_end / SPEECH_RATE;

	if (t1 >= s->mute_from && t0 <= s->mute_to) {
		log_debug("wake candidate %.2f-%.2f ignored: our own voice was playing", t0, t1);
		start_wake(s);
		return;
	}
	if (s->cfg.wake_rescore) {
		from = kw_start > WAKE_PAD ? kw_start - WAKE_PAD : 0;
		buf = malloc(sizeof *buf * (size_t)(kw_end + WAKE_PAD - from));
		n = hist_copy(s, from, kw_end + WAKE_PAD, buf);
		llr = versus_garbage(s, "wakev", buf, n);
		free(buf);
		if (llr < s->cfg.wake_min_llr) {
			struct speech_result r = { .kind = SPEECH_CANDIDATE, .t = now_s(s), .llr = llr };
			r.t_speech_end = t1;
			log_debug("wake candidate %.2f-%.2f refused, llr %.3f", t0, t1, llr);
			emit(s, &r);
			restart_wake_from(s, kw_start + REFUSE_STEP);
			return;
		}
	}
	{
		struct speech_result r = { .kind = SPEECH_WAKE, .t = now_s(s), .llr = llr };
		r.t_speech_end = t1;
		log_debug("wake %.2f-%.2f llr %.3f", t0, t1, llr);
		emit(s, &r);
	}
	/* The command may already be in the history: replay it from the
	 * keyword's end into the command search. */
	start_command(s, kw_end);
	n = (size_t)(s->pos - kw_end);
	if (n > 0) {
		buf = malloc(n * sizeof *buf);
		n = hist_copy(s, kw_end, s->pos, buf);
		cmd_append(s, buf, n);
		ps_process_raw(s->ps, buf, n, FALSE, FALSE);
		free(buf);
	}
}

static void
command_step(struct speech_ps *s)
{
	if (s->in_speech) {
		s->voice_seen = 1;
		s->last_voice = s->pos;
	}
	if (s->voice_seen && !s->in_speech)
		finish_command(s, NULL);
	else if (!s->voice_seen && s->pos - s->cmd_start > (uint64_t)s->cfg.cmd_timeout_ms * SPEECH_RATE / 1000)
		finish_command(s, "timeout");
	else if (s->pos - s->cmd_start > (uint64_t)s->cfg.cmd_max_ms * SPEECH_RATE / 1000)
		finish_command(s, NULL);
}

int
speech_ps_feed(struct speech_ps *s, const int16_t *pcm, size_t n)
{
	/* Work in whole 10 ms frames so decisions land on the same frame
	 * whatever the caller's chunk size: one recording gives the same
	 * events however it is cut.  A partial frame waits in s->part. */
	while (n > 0) {
		if (s->npart > 0 || n < FRAME) {
			size_t take = FRAME - s->npart < n ? FRAME - s->npart : n;
			memcpy(s->part + s->npart, pcm, take * sizeof *pcm);
			s->npart += take;
			pcm += take;
			n -= take;
			if (s->npart == FRAME) {
				s->npart = 0;
				feed_frame(s, s->part);
			}
			continue;
		}
		feed_frame(s, pcm);
		pcm += FRAME;
		n -= FRAME;
	}
	return 0;
}

/* One 10 ms frame through the VAD and the current search. */
static void
feed_frame(struct speech_ps *s, const int16_t *pcm)
{
	size_t i;

	for (i = 0; i < FRAME; i++)
		s->hist[(s->pos + i) % HIST_SAMPLES] = pcm[i];
	s->pos += FRAME;
	vad_frame(s, pcm, FRAME);
	if (s->state == ST_COMMAND && !s->voice_seen && now_s(s) <= s->hold_until) {
		/* Our cue or voice is playing: what the microphone hears now
		 * is us.  The window opens when it ends. */
		if (!s->held) {
			end_utt(s);
			s->held = 1;
		}
		return;
	}
	if (s->held) {
		s->held = 0;
		start_command(s, s->pos - FRAME);
	}
	if (s->state == ST_COMMAND)
		cmd_append(s, pcm, FRAME);
	ps_process_raw(s->ps, pcm, FRAME, FALSE, FALSE);
	if (s->state == ST_WAKE) {
		if (ps_get_hyp(s->ps, NULL) != NULL)
			wake_candidate(s);
		else if (s->pos - s->utt_start > 30 * SPEECH_RATE && !s->in_speech) {
			/* Keep frame counters small in long listening. */
			end_utt(s);
			start_wake(s);
		}
	} else {
		command_step(s);
	}
}

void
speech_ps_flush(struct speech_ps *s)
{
	if (s->state == ST_COMMAND)
		finish_command(s, s->voice_seen ? NULL : "timeout");
}

void
speech_ps_expect_command(struct speech_ps *s)
{
	if (s->state == ST_WAKE)
		end_utt(s);
	else
		return;
	start_command(s, s->pos);
}

int
speech_ps_busy(const struct speech_ps *s)
{
	return s->state == ST_COMMAND;
}

void
speech_ps_mute(struct speech_ps *s, double from, double to)
{
	s->mute_from = from;
	s->mute_to = to + MUTE_TAIL;
	s->hold_until = to;
}

/*
 * ps_set_jsgf_string() of PocketSphinx 5prealpha never frees the parsed
 * grammar (fixed upstream later); this is the same thing without the leak.
 */
static int
set_jsgf(struct speech_ps *s, const char *name, const char *text)
{
	jsgf_t *g = jsgf_parse_string(text, NULL);
	jsgf_rule_t *rule;
	fsg_model_t *fsg;
	int rc = -1;

	if (g == NULL)
		return -1;
	if ((rule = jsgf_get_public_rule(g)) != NULL &&
	    (fsg = jsgf_build_fsg(g, rule, ps_get_logmath(s->ps),
	        (float32)cmd_ln_float32_r(ps_get_config(s->ps), "-lw"))) != NULL) {
		rc = ps_set_fsg(s->ps, name, fsg);
		fsg_model_free(fsg);
	}
	jsgf_grammar_free(g);
	return rc < 0 ? -1 : 0;
}

/* Is `name` among the operator's decoder_args (then it overrides ours)? */
static int
overridden(const char *args, const char *name)
{
	size_t n = strlen(name);
	const char *p = args;

	while (p != NULL && (p = strstr(p, name)) != NULL) {
		if ((p == args || p[-1] == ' ' || p[-1] == '\t') && (p[n] == ' ' || p[n] == '\t' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * sphinxbase logs through one process-wide FILE.  Passing -logfn to each
 * decoder made every ps_init close and reopen it: two threads building a
 * recognizer at once (the listener and remote voice after one SIGHUP)
 * closed it twice, and the daemon aborted in fclose (the soak bench found
 * it after a few hundred reloads).  Logging is switched off once instead.
 */
static void
quiet_sphinx(void)
{
	err_set_logfp(NULL);
}

struct speech_ps *
speech_ps_new(const struct speech_config *cfg, const struct catalogue *c,
           speech_cb cb, void *ud, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct speech_ps *s = calloc(1, sizeof *s);
	char dictpath[] = "/tmp/smartofficed-dict-XXXXXX", thr[32];
	char *jsgf = NULL, *wjsgf = NULL, *gjsgf = NULL;
	cmd_ln_t *pcfg;
	FILE *f;
	int fd;

	pthread_once(&once, quiet_sphinx);

	s->cfg = *cfg;
	s->cat = c;
	s->cb = cb;
	s->ud = ud;
	s->mute_from = s->mute_to = s->hold_until = -1.0;
	s->hist = calloc(HIST_SAMPLES, sizeof *s->hist);
	s->floor_db = 40.0;

	if (access(cfg->hmm, R_OK) != 0) {
		snprintf(err, errlen, "%s: acoustic model not found (install pocketsphinx-en-us)", cfg->hmm);
		goto fail;
	}
	if ((fd = mkstemp(dictpath)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot create a temporary dictionary in /tmp");
		goto fail;
	}
	if (grammar_write_dict_x(c, cfg->extra, cfg->cmudict, f, err, errlen) < 0) {
		fclose(f);
		unlink(dictpath);
		goto fail;
	}
	fclose(f);
	snprintf(thr, sizeof thr, "%g", cfg->kws_threshold);
	{
		/* Our arguments, less those the operator's decoder_args set
		 * (PocketSphinx refuses a name given twice), then theirs. */
		char *ours[] = { "-hmm", (char *)cfg->hmm, "-dict", dictpath,
		    "-kws_threshold", thr, "-remove_silence", "no" };
		const char *args = cfg->decoder_args ? cfg->decoder_args : "";
		char *argv[80] = { "smartofficed" }, *extra = strdup(args), *sv = NULL, *w;
		int argc = 1, nextra = 0;
		for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i += 2)
			if (!overridden(args, ours[i])) {
				argv[argc++] = ours[i];
				argv[argc++] = ours[i + 1];
			}
		for (w = strtok_r(extra, " \t", &sv); w && argc < 79; w = strtok_r(NULL, " \t", &sv), nextra++)
			argv[argc++] = w;
		pcfg = nextra % 2 == 0 ? cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE) : NULL;
		free(extra);
	}
	if (pcfg == NULL) {
		snprintf(err, errlen, "PocketSphinx rejected its arguments (decoder_args = \"%s\")",
		    cfg->decoder_args ? cfg->decoder_args : "");
		unlink(dictpath);
		goto fail;
	}
	s->ps = ps_init(pcfg);
	cmd_ln_free_r(pcfg);
	unlink(dictpath);
	if (s->ps == NULL) {
		snprintf(err, errlen, "%s: PocketSphinx could not load the acoustic model", cfg->hmm);
		goto fail;
	}
	jsgf = grammar_command_jsgf_x(c, cfg->extra);
	wjsgf = grammar_wake_jsgf(c);
	gjsgf = grammar_garbage_jsgf_x(c, cfg->extra);
	if (ps_set_keyphrase(s->ps, "wake", c->wake) < 0 ||
	    set_jsgf(s, "wakev", wjsgf) < 0 ||
	    set_jsgf(s, "command", jsgf) < 0 ||
	    set_jsgf(s, "garbage", gjsgf) < 0) {
		snprintf(err, errlen, "PocketSphinx refused the generated grammars");
		goto fail;
	}
	free(jsgf);
	free(wjsgf);
	free(gjsgf);
	start_wake(s);
	return s;
fail:
	free(jsgf);
	free(wjsgf);
	free(gjsgf);
	speech_ps_free(s);
	return NULL;
}

void
speech_ps_free(struct speech_ps *s)
{
	if (s == NULL)
		return;
	/* An utterance left open keeps search history PocketSphinx frees
	 * only at its end (a reload mid-command). */
	if (s->ps != NULL && s->utt_open)
		end_utt(s);
	if (s->ps != NULL)
		ps_free(s->ps);
	free(s->hist);
	free(s->cmd);
	free(s);
}
