/*
 * speech-eval — runs the recognizer (models/speech.c, exactly as the
 * daemon configures it) over a corpus made by tests/speech/make-corpus and
 * scores it against the manifest: wake detection, false wakes per hour,
 * command accuracy, rejection of non-commands, decision latency.
 *
 *   speech-eval [-o NAME=VALUE]... [--dump] CORPUS_DIR
 *
 * --dump prints one line per wake candidate and per command window
 * (score, verdict), the material for choosing thresholds.
 *
 *   speech-eval --match < LINES
 *
 * scores another recognizer's transcripts (stock pocketsphinx_continuous
 * with the same grammar): each line "expect<TAB>hyp|hyp|..." is right when
 * the last hypothesis that names an entry (after "hey seoul") names
 * `expect`, or, for expect "rejected", when none does.
 */
#include "models/grammar.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "devices/wav.h"
#include "models/speech.h"

struct ev {
	enum speech_kind kind;
	double t, end, llr, conf;
	char id[64], reason[32], text[256];
};

static struct ev evs[256];
static int nev;

static void
collect(void *ud, const struct speech_result *r)
{
	(void)ud;
	if (nev == 256)
		return;
	evs[nev] = (struct ev){ r->kind, r->t, r->t_speech_end, r->llr, r->confidence, "", "", "" };
	if (r->entry)
		snprintf(evs[nev].id, sizeof evs[nev].id, "%s", r->entry->id);
	if (r->reason)
		snprintf(evs[nev].reason, sizeof evs[nev].reason, "%s", r->reason);
	if (r->text)
		snprintf(evs[nev].text, sizeof evs[nev].text, "%s", r->text);
	nev++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
pct(double *v, int n, double p)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[(int)fmin(n - 1, floor(p * n))];
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct speech_config sc;
	struct catalogue *cat;
	struct speech *s;
	char err[4096], path[4096], line[2048];
	int dump = 0, match = 0, i;
	const char *dir = NULL;
	FILE *man;
	/* tallies */
	int n_wc = 0, wc_woke = 0, wc_right = 0, n_wr = 0, wr_woke = 0, wr_rejected = 0;
	int n_neg = 0, false_wakes = 0, n_wo = 0, wo_ok = 0;
	double neg_seconds = 0, total_seconds = 0, lat[4096];
	int nlat = 0;
	struct timespec t0, t1;

	log_init(-1);
	config_defaults(&cfg);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');
			if (eq == NULL)
				return 2;
			*eq = '\0';
			if (config_set(&cfg, argv[i], eq + 1, err, sizeof err) < 0) {
				fprintf(stderr, "%s\n", err);
				return 2;
			}
		} else if (!strcmp(argv[i], "--dump")) {
			dump = 1;
		} else if (!strcmp(argv[i], "--match")) {
			match = 1;
		} else {
			dir = argv[i];
		}
	}
	if (match) {
		int right[2] = { 0, 0 }, total[2] = { 0, 0 };
		if ((cat = catalogue_load(cfg.catalogue, err, sizeof err)) == NULL) {
			fputs(err, stderr);
			return 1;
		}
		while (fgets(line, sizeof line, stdin) != NULL) {
			char *tab = strchr(line, '\t'), *hyp, *save = NULL;
			const struct catalogue_entry *got = NULL;
			int neg;
			line[strcspn(line, "\n")] = '\0';
			if (tab == NULL)
				continue;
			*tab = '\0';
			neg = !strcmp(line, "rejected");
			for (hyp = strtok_r(tab + 1, "|", &save); hyp; hyp = strtok_r(NULL, "|", &save)) {
				const struct catalogue_entry *e;
				size_t wl = strlen(cat->wake);
				while (*hyp == ' ')
					hyp++;
				if (!strncmp(hyp, cat->wake, wl) && (hyp[wl] == ' ' || !hyp[wl]))
					hyp += wl + (hyp[wl] == ' ');
				if ((e = grammar_match(cat, hyp)) != NULL)
					got = e;
			}
			total[neg]++;
			right[neg] += neg ? got == NULL : got != NULL && !strcmp(got->id, line);
		}
		printf("command accuracy:      %5.1f%% (%d/%d)\n", 100.0 * right[0] / fmax(1, total[0]), right[0], total[0]);
		printf("non-command rejection: %5.1f%% (%d/%d)\n", 100.0 * right[1] / fmax(1, total[1]), right[1], total[1]);
		catalogue_free(cat);
		config_free(&cfg);
		return 0;
	}
	if (dir == NULL) {
		fprintf(stderr, "usage: speech-eval [-o NAME=VALUE]... [--dump] CORPUS_DIR\n");
		return 2;
	}
	if ((cat = catalogue_load(cfg.catalogue, err, sizeof err)) == NULL) {
		fputs(err, stderr);
		return 1;
	}
	config_speech(&cfg, &sc);
	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	if ((man = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fgets(line, sizeof line, man) != NULL) {
		char *f[8], *p = line;
		int16_t *pcm;
		size_t n;
		struct wav_info wi;
		double base, dur, speech_end;
		int nf = 0, woke = 0;

		line[strcspn(line, "\n")] = '\0';
		while (nf < 8 && (f[nf] = strsep(&p, "\t")) != NULL)
			nf++;
		if (nf < 8 || !strcmp(f[0], "file"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, f[0]);
		if (wav_load(path, &pcm, &n, &wi, err, sizeof err, NULL, 0) < 0) {
			fprintf(stderr, "%s\n", err);
			continue;
		}
		/* A fresh recognizer per file: files are independent trials. */
		nev = 0;
		if ((s = speech_new(&sc, cat, collect, NULL, err, sizeof err)) == NULL) {
			fputs(err, stderr);
			return 1;
		}
		base = 0;
		speech_feed(s, pcm, n);
		speech_flush(s);
		speech_free(s);
		free(pcm);
		dur = (double)n / 16000.0;
		total_seconds += dur;
		speech_end = atof(f[6]) + base;
		for (i = 0; i < nev; i++) {
			woke += evs[i].kind == SPEECH_WAKE;
			if (dump && (evs[i].kind == SPEECH_WAKE || evs[i].kind == SPEECH_CANDIDATE))
				printf("cand\t%s\t%s\t%.3f\t%s\t%.2f\n", f[0], f[1], evs[i].llr,
				    evs[i].kind == SPEECH_WAKE ? "accepted" : "refused", evs[i].end);
			if (dump && (evs[i].kind == SPEECH_COMMAND || evs[i].kind == SPEECH_REJECT))
				printf("cmd\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\n", f[0], f[1], f[2], evs[i].llr,
				    evs[i].kind == SPEECH_COMMAND ? evs[i].id : "-", evs[i].reason, evs[i].text);
		}
		if (!strcmp(f[1], "wake-command")) {
			n_wc++;
			for (i = 0; i < nev; i++)
				if (evs[i].kind == SPEECH_WAKE) {
					wc_woke++;
					break;
				}
			for (; i < nev; i++)
				if (evs[i].kind == SPEECH_COMMAND || evs[i].kind == SPEECH_REJECT) {
					if (evs[i].kind == SPEECH_COMMAND && !strcmp(evs[i].id, f[2])) {
						wc_right++;
						if (nlat < 4096)
							lat[nlat++] = (evs[i].t - speech_end) * 1000.0;
					} else if (dump) {
						printf("miss\t%s\t%s\tgot %s %s \"%s\"\n", f[0], f[2],
						    evs[i].kind == SPEECH_COMMAND ? evs[i].id : "rejected", evs[i].reason, evs[i].text);
					}
					break;
				}
		} else if (!strcmp(f[1], "wake-reject")) {
			n_wr++;
			for (i = 0; i < nev; i++)
				if (evs[i].kind == SPEECH_WAKE) {
					wr_woke++;
					break;
				}
			for (; i < nev; i++)
				if (evs[i].kind == SPEECH_COMMAND || evs[i].kind == SPEECH_REJECT) {
					wr_rejected += evs[i].kind == SPEECH_REJECT;
					if (dump && evs[i].kind == SPEECH_COMMAND)
						printf("falseaccept\t%s\t%s\t\"%s\"\n", f[0], evs[i].id, evs[i].text);
					break;
				}
		} else if (!strcmp(f[1], "wake-only")) {
			n_wo++;
			for (i = 0; i < nev; i++)
				if (evs[i].kind == SPEECH_REJECT && !strcmp(evs[i].reason, "timeout"))
					wo_ok++;
		} else {
			n_neg++;
			neg_seconds += dur;
			false_wakes += woke;
			if (dump && woke)
				printf("falsewake\t%s\t%d\n", f[0], woke);
		}
	}
	fclose(man);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("files: %d wake+command, %d wake+non-command, %d wake-only, %d without wake (%.1f min)\n",
		    n_wc, n_wr, n_wo, n_neg, neg_seconds / 60);
		printf("wake detection:        %5.1f%% (%d/%d, wake phrase in wake+command and wake+non-command files)\n",
		    100.0 * (wc_woke + wr_woke) / fmax(1, n_wc + n_wr), wc_woke + wr_woke, n_wc + n_wr);
		printf("false wakes per hour:  %5.2f (%d in %.2f h of speech without the wake phrase)\n",
		    false_wakes / fmax(1e-9, neg_seconds / 3600), false_wakes, neg_seconds / 3600);
		printf("command accuracy:      %5.1f%% (%d/%d right of all wake+command files)\n",
		    100.0 * wc_right / fmax(1, n_wc), wc_right, n_wc);
		printf("command accuracy|wake: %5.1f%% (%d/%d right of those that woke)\n",
		    100.0 * wc_right / fmax(1, wc_woke), wc_right, wc_woke);
		printf("non-command rejection: %5.1f%% (%d/%d of woken wake+non-command files)\n",
		    100.0 * wr_rejected / fmax(1, wr_woke), wr_rejected, wr_woke);
		printf("wake-only timeouts:    %d/%d\n", wo_ok, n_wo);
		printf("end of speech -> decision (stream time): p50 %.0f ms, p95 %.0f ms (n=%d)\n",
		    pct(lat, nlat, 0.5), pct(lat, nlat, 0.95), nlat);
		printf("decoding speed: %.1f s of audio in %.1f s (%.1fx real time)\n", total_seconds, wall,
		    total_seconds / fmax(1e-9, wall));
	}
	catalogue_free(cat);
	config_free(&cfg);
	return 0;
}
