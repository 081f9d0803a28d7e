/*
 * speech-eval — runs the recognizer (models/speech.h, exactly as the
 * daemon configures it: `-o engine=embedding|pocketsphinx` and any other
 * option) over a corpus made by tests/speech/make-corpus or
 * tests/speech/make-bench-corpus and scores it against the manifest: wake
 * detection, false wakes per hour, command accuracy, rejection of
 * non-commands, decision latency; then the same by voice family, condition,
 * voice and kind of negative, and Korean separately.
 *
 *   speech-eval [-o NAME=VALUE]... [--dump] [-j JOBS] [--subset] [--summary FILE] CORPUS_DIR
 *
 * --dump prints one line per wake candidate and per command window
 * (score, verdict), the material for choosing thresholds.  -j runs JOBS
 * processes (files are independent trials: a fresh recognizer per file).
 * --subset evaluates only the manifest rows with subset=yes (the bench
 * corpus marks every file with a wake phrase and about 2 h of the
 * negatives), for slow recognizers.  --summary writes every figure as
 * "key<TAB>value<TAB>detail" lines (the bench's side-by-side table).
 *
 *   speech-eval --kws [--subset] [--summary FILE] CORPUS_DIR < LINES
 *
 * scores another recognizer's wake detections: each line "file<TAB>count"
 * (stock pocketsphinx_continuous keyword spotting), with the same
 * breakdowns of wake detection and false wakes.
 *
 *   speech-eval --match [--summary FILE] < LINES
 *
 * scores another recognizer's transcripts (stock pocketsphinx_continuous
 * with the same grammar): each line "expect<TAB>hyp|hyp|..." is right when
 * the last hypothesis that names an entry (after "hey seoul") names
 * `expect`, or, for expect "rejected", when none does.
 */
#include "models/grammar.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "base/log.h"
#include "devices/wav.h"
#include "models/speech.h"

#define FEED 320    /* samples per speech_feed: the daemon's 20 ms chunk */

/* ------------------------------------------------------------ manifest */

enum { C_FILE, C_KIND, C_EXPECT, C_VOICE, C_SPEED, C_NOISE, C_END, C_TEXT,
       C_FAMILY, C_COND, C_LANG, C_SUBSET, C_DUR, NCOL };
static const char *colname[NCOL] = { "file", "kind", "expect", "voice", "speed", "noise", "speech_end",
	"text", "family", "condition", "lang", "subset", "duration" };

struct row {
	char *f[NCOL];     /* NULL where the manifest has no such column */
	char family[32], cond[32];
	int ko, sel;
	double speech_end, dur;
};

static struct row *rows;
static int nrows, rowcap;

static int
is_pos(const struct row *r)
{
	return !strcmp(r->f[C_KIND], "wake-command") || !strcmp(r->f[C_KIND], "wake-reject") ||
	    !strcmp(r->f[C_KIND], "wake-only");
}

/* Family and condition for manifests of make-corpus (no such columns). */
static void
derive(struct row *r)
{
	const char *v = r->f[C_VOICE], *n = r->f[C_NOISE];

	if (r->f[C_FAMILY])
		snprintf(r->family, sizeof r->family, "%s", r->f[C_FAMILY]);
	else if (!strncmp(v, "festival-", 9))
		snprintf(r->family, sizeof r->family, "festival");
	else if (!strncmp(v, "espeak-", 7))
		snprintf(r->family, sizeof r->family, "espeak-ng");
	else if (!strncmp(v, "flite-", 6))
		snprintf(r->family, sizeof r->family, "flite");
	else
		snprintf(r->family, sizeof r->family, "%s", v);
	if (r->f[C_COND])
		snprintf(r->cond, sizeof r->cond, "%s", r->f[C_COND]);
	else if (strstr(n, "-clean"))
		snprintf(r->cond, sizeof r->cond, "clean");
	else
		snprintf(r->cond, sizeof r->cond, "%s", n);
	r->ko = r->f[C_LANG] && !strcmp(r->f[C_LANG], "ko");
}

static int
load_manifest(const char *dir, int subset)
{
	char path[4096], *line = NULL, *p;
	size_t cap = 0;
	int col[NCOL], ncols = 0, i, header = 1;
	FILE *man;

	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	if ((man = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	for (i = 0; i < NCOL; i++)
		col[i] = i < 8 ? i : -1;
	while (getline(&line, &cap, man) > 0) {
		char *f[64], *s;
		int nf = 0;
		struct row r;

		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		while (nf < 64 && (s = strsep(&p, "\t")) != NULL)
			f[nf++] = s;
		if (header) {
			header = 0;
			if (!strcmp(f[0], "file")) {
				for (i = 0; i < NCOL; i++) {
					col[i] = -1;
					for (int k = 0; k < nf; k++)
						if (!strcmp(f[k], colname[i]))
							col[i] = k;
				}
				for (i = 0; i <= C_TEXT; i++)
					if (col[i] < 0) {
						fprintf(stderr, "%s: no column \"%s\"\n", path, colname[i]);
						return -1;
					}
				ncols = nf;
				continue;
			}
		}
		if (nf < 8 || (ncols && nf < ncols))
			continue;
		memset(&r, 0, sizeof r);
		for (i = 0; i < NCOL; i++)
			r.f[i] = col[i] >= 0 ? strdup(f[col[i]]) : NULL;
		derive(&r);
		r.speech_end = atof(r.f[C_END]);
		r.dur = r.f[C_DUR] ? atof(r.f[C_DUR]) : -1;
		r.sel = !subset || r.f[C_SUBSET] == NULL || !strcmp(r.f[C_SUBSET], "yes");
		if (nrows == rowcap) {
			rowcap = rowcap ? 2 * rowcap : 256;
			rows = realloc(rows, sizeof *rows * (size_t)rowcap);
		}
		rows[nrows++] = r;
	}
	free(line);
	fclose(man);
	return 0;
}

/* ------------------------------------------------------------ one file */

struct ev {
	enum speech_kind kind;
	double t, end, llr, conf;
	char id[64], reason[32], text[256];
};

static struct ev *evs;
static int nev, evcap;

static void
collect(void *ud, const struct speech_result *r)
{
	(void)ud;
	if (nev == evcap) {
		evcap = evcap ? 2 * evcap : 256;
		evs = realloc(evs, sizeof *evs * (size_t)evcap);
	}
	evs[nev] = (struct ev){ r->kind, r->t, r->t_speech_end, r->llr, r->confidence, "", "", "" };
	if (r->entry)
		snprintf(evs[nev].id, sizeof evs[nev].id, "%s", r->entry->id);
	if (r->reason)
		snprintf(evs[nev].reason, sizeof evs[nev].reason, "%s", r->reason);
	if (r->text)
		snprintf(evs[nev].text, sizeof evs[nev].text, "%s", r->text);
	nev++;
}

/* What one file gave; fixed size, written whole through a pipe by -j workers. */
struct res {
	int idx, ok, wakes;      /* ok: the file was decoded */
	int dec;                 /* after the first wake: 0 nothing, 1 command, 2 reject */
	int right, timeout, lat_ok;
	double lat_ms, dur;
	char id[64];
};

static struct speech_config sc;
static struct catalogue *cat;
static int dump;

static int
eval_file(const char *dir, int idx, struct res *out)
{
	struct row *r = &rows[idx];
	char path[4096], err[4096];
	int16_t *pcm;
	size_t n, off;
	struct wav_info wi;
	struct speech *s;
	const char *kind = r->f[C_KIND];
	int i;

	memset(out, 0, sizeof *out);
	out->idx = idx;
	snprintf(path, sizeof path, "%s/%s", dir, r->f[C_FILE]);
	if (wav_load(path, &pcm, &n, &wi, err, sizeof err, NULL, 0) < 0) {
		fprintf(stderr, "%s\n", err);
		return 0;
	}
	/* A fresh recognizer per file: files are independent trials. */
	nev = 0;
	if ((s = speech_new(&sc, cat, collect, NULL, err, sizeof err)) == NULL) {
		fprintf(stderr, "speech-eval: %s\n", err);
		free(pcm);
		return -1;
	}
	for (off = 0; off < n; off += FEED)
		speech_feed(s, pcm + off, n - off < FEED ? n - off : FEED);
	speech_flush(s);
	speech_free(s);
	free(pcm);
	out->ok = 1;
	out->dur = (double)n / 16000.0;
	for (i = 0; i < nev; i++) {
		out->wakes += evs[i].kind == SPEECH_WAKE;
		if (evs[i].kind == SPEECH_REJECT && !strcmp(evs[i].reason, "timeout"))
			out->timeout = 1;
		if (dump && (evs[i].kind == SPEECH_WAKE || evs[i].kind == SPEECH_CANDIDATE))
			printf("cand\t%s\t%s\t%.3f\t%s\t%.2f\n", r->f[C_FILE], kind, evs[i].llr,
			    evs[i].kind == SPEECH_WAKE ? "accepted" : "refused", evs[i].end);
		if (dump && (evs[i].kind == SPEECH_COMMAND || evs[i].kind == SPEECH_REJECT))
			printf("cmd\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\n", r->f[C_FILE], kind, r->f[C_EXPECT], evs[i].llr,
			    evs[i].kind == SPEECH_COMMAND ? evs[i].id : "-", evs[i].reason, evs[i].text);
	}
	for (i = 0; i < nev && evs[i].kind != SPEECH_WAKE; i++)
		;
	for (; i < nev; i++)
		if (evs[i].kind == SPEECH_COMMAND || evs[i].kind == SPEECH_REJECT) {
			out->dec = evs[i].kind == SPEECH_COMMAND ? 1 : 2;
			snprintf(out->id, sizeof out->id, "%s", evs[i].id);
			if (out->dec == 1 && !strcmp(evs[i].id, r->f[C_EXPECT])) {
				out->right = 1;
				out->lat_ok = 1;
				out->lat_ms = (evs[i].t - r->speech_end) * 1000.0;
			}
			if (dump && !strcmp(kind, "wake-command") && !out->right)
				printf("miss\t%s\t%s\tgot %s %s \"%s\"\n", r->f[C_FILE], r->f[C_EXPECT],
				    evs[i].kind == SPEECH_COMMAND ? evs[i].id : "rejected", evs[i].reason, evs[i].text);
			if (dump && !strcmp(kind, "wake-reject") && out->dec == 1)
				printf("falseaccept\t%s\t%s\t\"%s\"\n", r->f[C_FILE], evs[i].id, evs[i].text);
			break;
		}
	if (dump && !is_pos(r) && out->wakes)
		printf("falsewake\t%s\t%d\n", r->f[C_FILE], out->wakes);
	return 0;
}

/* Runs every selected file, in `jobs` processes (longest files spread first). */
static int
run_files(const char *dir, int jobs, struct res *res)
{
	int *sel = malloc(sizeof *sel * (size_t)nrows), nsel = 0, i, fd[2], failed = 0;

	for (i = 0; i < nrows; i++)
		if (rows[i].sel)
			sel[nsel++] = i;
	if (jobs <= 1) {
		for (i = 0; i < nsel; i++)
			if (eval_file(dir, sel[i], &res[sel[i]]) < 0)
				return -1;
		free(sel);
		return 0;
	}
	/* durations for balancing: the manifest's, else the file size */
	double *load = calloc((size_t)jobs, sizeof *load), *d = malloc(sizeof *d * (size_t)nsel);
	int *owner = malloc(sizeof *owner * (size_t)nsel), *order = malloc(sizeof *order * (size_t)nsel);
	for (i = 0; i < nsel; i++) {
		struct stat st;
		char path[4096];
		d[i] = rows[sel[i]].dur;
		if (d[i] < 0) {
			snprintf(path, sizeof path, "%s/%s", dir, rows[sel[i]].f[C_FILE]);
			d[i] = stat(path, &st) == 0 ? (double)st.st_size / 32000.0 : 1;
		}
		order[i] = i;
	}
	for (i = 1; i < nsel; i++) {      /* insertion sort, longest first */
		int k = order[i], j = i - 1;
		while (j >= 0 && d[order[j]] < d[k]) {
			order[j + 1] = order[j];
			j--;
		}
		order[j + 1] = k;
	}
	for (i = 0; i < nsel; i++) {
		int best = 0;
		for (int w = 1; w < jobs; w++)
			if (load[w] < load[best])
				best = w;
		owner[order[i]] = best;
		load[best] += d[order[i]] + 0.5;
	}
	if (pipe(fd) < 0) {
		perror("pipe");
		return -1;
	}
	fflush(stdout);
	for (int w = 0; w < jobs; w++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return -1;
		}
		if (pid == 0) {
			close(fd[0]);
			setvbuf(stdout, NULL, _IOLBF, 0);
			for (i = 0; i < nsel; i++) {
				struct res r;
				if (owner[i] != w)
					continue;
				if (eval_file(dir, sel[i], &r) < 0)
					_exit(1);
				if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
					_exit(1);
			}
			fflush(stdout);
			_exit(0);
		}
	}
	close(fd[1]);
	for (;;) {
		struct res r;
		ssize_t got = read(fd[0], &r, sizeof r);
		if (got == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof r || r.idx < 0 || r.idx >= nrows) {
			fprintf(stderr, "speech-eval: bad record from a worker\n");
			failed = 1;
			break;
		}
		res[r.idx] = r;
	}
	close(fd[0]);
	for (int w = 0; w < jobs; w++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	free(sel);
	free(load);
	free(d);
	free(owner);
	free(order);
	return failed ? -1 : 0;
}

/* ------------------------------------------------------------ tallies */

struct cell {
	char key[128];
	int n, k;          /* rates: k of n; negatives: k false wakes */
	double secs;       /* negatives: seconds of audio */
};

static struct cell *cells;
static int ncells, cellcap;

static int
find_cell(const char *key)
{
	for (int i = 0; i < ncells; i++)
		if (!strcmp(cells[i].key, key))
			return i;
	return -1;
}

/* Adds to the cell named by fmt (created on first use). */
static void
add(int n, int k, double secs, const char *fmt, ...)
{
	char key[128];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(key, sizeof key, fmt, ap);
	va_end(ap);
	if ((i = find_cell(key)) < 0) {
		if (ncells == cellcap) {
			cellcap = cellcap ? 2 * cellcap : 256;
			cells = realloc(cells, sizeof *cells * (size_t)cellcap);
		}
		i = ncells++;
		memset(&cells[i], 0, sizeof cells[i]);
		snprintf(cells[i].key, sizeof cells[i].key, "%s", key);
	}
	cells[i].n += n;
	cells[i].k += k;
	cells[i].secs += secs;
}

/* A copy of the cell named by fmt (zero when absent). */
static struct cell
get(const char *fmt, ...)
{
	char key[128];
	va_list ap;
	struct cell c;
	int i;

	va_start(ap, fmt);
	vsnprintf(key, sizeof key, fmt, ap);
	va_end(ap);
	if ((i = find_cell(key)) >= 0)
		return cells[i];
	memset(&c, 0, sizeof c);
	return c;
}

/* Ordered lists of the values seen (families, conditions, voices, kinds). */
struct names {
	char v[32][32];
	int n;
};

static void
name_add(struct names *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return;
	if (l->n < 32)
		snprintf(l->v[l->n++], sizeof l->v[0], "%s", s);
}

static void
name_order(struct names *l, const char *const *first)
{
	struct names o = { .n = 0 };
	for (; *first; first++)
		for (int i = 0; i < l->n; i++)
			if (!strcmp(l->v[i], *first))
				name_add(&o, *first);
	for (int i = 0; i < l->n; i++)
		name_add(&o, l->v[i]);
	*l = o;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static const char *const FAM_ORDER[] = { "festival", "espeak-ng", "flite", "human", "mixed", NULL };
static const char *const COND_ORDER[] = { "clean", "white-snr15", "babble-snr10", "reverb", NULL };
static const char *const KIND_ORDER[] = { "speech", "chatter", "short", "command-only", "real", NULL };

static FILE *summary;

/* summary lines: key, value, detail */
static void
sum_rate(const char *key, struct cell c)
{
	if (summary && c.n)
		fprintf(summary, "%s\t%.1f\t%d/%d\n", key, 100.0 * c.k / c.n, c.k, c.n);
}

static void
sum_neg(const char *key, struct cell c)
{
	if (summary && c.secs > 0)
		fprintf(summary, "%s\t%.2f\t%d in %.2f h\n", key, c.k / (c.secs / 3600), c.k, c.secs / 3600);
}

static void
rate_cell(char *buf, size_t len, struct cell c)
{
	char frac[32];
	if (c.n == 0) {
		snprintf(buf, len, "%-18s", "-");
		return;
	}
	snprintf(frac, sizeof frac, "(%d/%d)", c.k, c.n);
	snprintf(buf, len, "%5.1f%% %-11s", 100.0 * c.k / c.n, frac);
}

static void
neg_cell(char *buf, size_t len, struct cell c)
{
	char hrs[32];
	if (c.secs <= 0) {
		snprintf(buf, len, "%-18s", "-");
		return;
	}
	snprintf(hrs, sizeof hrs, "(%d/%.2fh)", c.k, c.secs / 3600);
	snprintf(buf, len, "%6.1f %-11s", c.k / (c.secs / 3600), hrs);
}

/* A table: one line per name in rowsn (and "all"), one column per condition (and "all"). */
static void
table(const char *title, const char *L, const char *what, const struct names *rowsn, const char *rowlabel,
      const struct names *conds, int neg)
{
	char buf[64];
	int i, j;

	printf("%s\n  %-14s", title, rowlabel);
	for (j = 0; j < conds->n; j++)
		printf(" %-18s", conds->v[j]);
	printf(" %-18s\n", "all");
	for (i = 0; i <= rowsn->n; i++) {
		const char *rn = i < rowsn->n ? rowsn->v[i] : "*";
		struct cell all = get("%s|%s|%s|*", L, what, rn);
		if (i == rowsn->n && rowsn->n == 1)
			break;
		if (all.n == 0 && all.secs <= 0)
			continue;      /* e.g. the real recordings in a table of wake detection */
		printf("  %-14s", i < rowsn->n ? rn : "all");
		for (j = 0; j <= conds->n; j++) {
			struct cell c = get("%s|%s|%s|%s", L, what, rn, j < conds->n ? conds->v[j] : "*");
			if (neg)
				neg_cell(buf, sizeof buf, c);
			else
				rate_cell(buf, sizeof buf, c);
			printf(" %s", buf);
		}
		printf("\n");
	}
}

static double lat_en[1 << 16], lat_ko[1 << 14];
static int nlat_en, nlat_ko;

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

/* Tallies one file's result under every breakdown it belongs to. */
static void
tally(const struct row *r, const struct res *x, struct names *fams, struct names *conds, struct names *voices,
      struct names *kinds, int kws)
{
	const char *L = r->ko ? "ko" : "en", *kind = r->f[C_KIND];
	const char *fs[2] = { r->family, "*" }, *cs[2] = { r->cond, "*" }, *ks[2] = { kind, "*" };
	int a, b;

	if (!x->ok)
		return;
	name_add(fams, r->family);
	name_add(conds, r->cond);
	if (!strcmp(kind, "wake-command") || !strcmp(kind, "wake-reject")) {
		int woke = x->wakes > 0;
		name_add(voices, r->f[C_VOICE]);
		for (a = 0; a < 2; a++)
			for (b = 0; b < 2; b++)
				add(1, woke, 0, "%s|wake|%s|%s", L, fs[a], cs[b]);
		add(1, woke, 0, "%s|wakevoice|%s|*", L, r->f[C_VOICE]);
		if (kws)
			return;
		if (!strcmp(kind, "wake-command")) {
			for (a = 0; a < 2; a++)
				for (b = 0; b < 2; b++) {
					add(1, x->right, 0, "%s|cmd|%s|%s", L, fs[a], cs[b]);
					if (woke)
						add(1, x->right, 0, "%s|cmdwake|%s|%s", L, fs[a], cs[b]);
				}
			if (x->lat_ok) {
				if (r->ko && nlat_ko < (int)(sizeof lat_ko / sizeof *lat_ko))
					lat_ko[nlat_ko++] = x->lat_ms;
				else if (!r->ko && nlat_en < (int)(sizeof lat_en / sizeof *lat_en))
					lat_en[nlat_en++] = x->lat_ms;
			}
		} else if (woke) {
			for (a = 0; a < 2; a++)
				add(1, x->dec == 2, 0, "%s|reject|%s|*", L, fs[a]);
		}
	} else if (!strcmp(kind, "wake-only")) {
		if (!kws)
			add(1, x->timeout, 0, "%s|timeout|*|*", L);
	} else {
		name_add(kinds, kind);
		for (a = 0; a < 2; a++)
			for (b = 0; b < 2; b++) {
				add(0, x->wakes, x->dur, "%s|fwk|%s|%s", L, ks[a], cs[b]);
				add(0, x->wakes, x->dur, "%s|fwf|%s|%s", L, fs[a], cs[b]);
			}
	}
}

static struct res *RES;

static void
report(const char *L, int kws, int subset_used, double wall, int jobs, double audio, const char *engine)
{
	struct names fams = { .n = 0 }, conds = { .n = 0 }, voices = { .n = 0 }, kinds = { .n = 0 };
	int ko = !strcmp(L, "ko"), i, j;
	int n_wc = 0, n_wr = 0, n_wo = 0, n_neg = 0;
	double neg_s = 0, neg_all_s = 0;
	const char *pre = ko ? "ko:" : "", *ind = ko ? "  " : "";
	char k[128], title[256], buf[64];

	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		if (r->ko != ko)
			continue;
		if (!is_pos(r) && r->dur > 0)
			neg_all_s += r->dur;
		if (!RES[i].ok)
			continue;
		tally(r, &RES[i], &fams, &conds, &voices, &kinds, kws);
		if (!strcmp(r->f[C_KIND], "wake-command"))
			n_wc++;
		else if (!strcmp(r->f[C_KIND], "wake-reject"))
			n_wr++;
		else if (!strcmp(r->f[C_KIND], "wake-only"))
			n_wo++;
		else {
			n_neg++;
			neg_s += RES[i].dur;
		}
	}
	if (n_wc + n_wr + n_wo + n_neg == 0)
		return;
	if (neg_all_s <= 0)
		neg_all_s = neg_s;
	name_order(&fams, FAM_ORDER);
	name_order(&conds, COND_ORDER);
	name_order(&kinds, KIND_ORDER);
	qsort(voices.v, (size_t)voices.n, sizeof voices.v[0], cmp_name);

	struct cell w = get("%s|wake|*|*", L), fw = get("%s|fwf|*|*", L);
	struct cell cm = get("%s|cmd|*|*", L), cmw = get("%s|cmdwake|*|*", L);
	struct cell rj = get("%s|reject|*|*", L), to = get("%s|timeout|*|*", L);
	double *lat = ko ? lat_ko : lat_en;
	int nlat = ko ? nlat_ko : nlat_en;
	double p50 = pct(lat, nlat, 0.5), p95 = pct(lat, nlat, 0.95);

	if (ko)
		printf("\nKorean (espeak-ng \"ko\" is the only Korean voice available, so every Korean file is "
		    "espeak-ng; wake phrase 서울아, names from the catalogue's \"ko\"):\n");
	printf("%sfiles: %d wake+command, %d wake+non-command, %d wake-only, %d without wake (%.1f min)\n", ind,
	    n_wc, n_wr, n_wo, n_neg, neg_s / 60);
	printf("%swake detection:        %5.1f%% (%d/%d, wake phrase in wake+command and wake+non-command files)\n",
	    ind, 100.0 * w.k / fmax(1, w.n), w.k, w.n);
	printf("%sfalse wakes per hour:  %5.2f (%d in %.2f h of speech without the wake phrase)\n", ind,
	    fw.k / fmax(1e-9, fw.secs / 3600), fw.k, fw.secs / 3600);
	if (!kws) {
		printf("%scommand accuracy:      %5.1f%% (%d/%d right of all wake+command files)\n", ind,
		    100.0 * cm.k / fmax(1, cm.n), cm.k, cm.n);
		printf("%scommand accuracy|wake: %5.1f%% (%d/%d right of those that woke)\n", ind,
		    100.0 * cmw.k / fmax(1, cmw.n), cmw.k, cmw.n);
		printf("%snon-command rejection: %5.1f%% (%d/%d of woken wake+non-command files)\n", ind,
		    100.0 * rj.k / fmax(1, rj.n), rj.k, rj.n);
		printf("%swake-only timeouts:    %d/%d\n", ind, to.k, to.n);
		printf("%send of speech -> decision (stream time): p50 %.0f ms, p95 %.0f ms (n=%d)\n", ind,
		    p50, p95, nlat);
	}
	if (!ko && !kws && wall > 0)
		printf("decoding speed: %.1f s of audio in %.1f s (%.1fx real time%s)\n", audio, wall,
		    audio / fmax(1e-9, wall), jobs > 1 ? ", all jobs together" : "");
	if (!ko)
		printf("engine: %s; %s%.2f h without the wake phrase of the %.2f h in the corpus\n", engine,
		    subset_used ? "the subset (subset=yes): " : "every file: ", neg_s / 3600, neg_all_s / 3600);

	if (summary) {
		fprintf(summary, "%sneg_h\t%.2f\tof %.2f h\n", pre, neg_s / 3600, neg_all_s / 3600);
		snprintf(k, sizeof k, "%swake", pre);
		sum_rate(k, w);
		snprintf(k, sizeof k, "%sfwh", pre);
		sum_neg(k, fw);
		for (i = 0; i < fams.n; i++) {
			snprintf(k, sizeof k, "%swake:%s", pre, fams.v[i]);
			sum_rate(k, get("%s|wake|%s|*", L, fams.v[i]));
			snprintf(k, sizeof k, "%scmdwake:%s", pre, fams.v[i]);
			sum_rate(k, get("%s|cmdwake|%s|*", L, fams.v[i]));
			snprintf(k, sizeof k, "%sfwh:fam:%s", pre, fams.v[i]);
			sum_neg(k, get("%s|fwf|%s|*", L, fams.v[i]));
			for (j = 0; j < conds.n; j++) {
				snprintf(k, sizeof k, "%swake:%s:%s", pre, fams.v[i], conds.v[j]);
				sum_rate(k, get("%s|wake|%s|%s", L, fams.v[i], conds.v[j]));
			}
		}
		for (i = 0; i < conds.n; i++) {
			snprintf(k, sizeof k, "%swake:cond:%s", pre, conds.v[i]);
			sum_rate(k, get("%s|wake|*|%s", L, conds.v[i]));
			snprintf(k, sizeof k, "%scmdwake:cond:%s", pre, conds.v[i]);
			sum_rate(k, get("%s|cmdwake|*|%s", L, conds.v[i]));
			snprintf(k, sizeof k, "%sfwh:cond:%s", pre, conds.v[i]);
			sum_neg(k, get("%s|fwk|*|%s", L, conds.v[i]));
		}
		for (i = 0; i < voices.n; i++) {
			snprintf(k, sizeof k, "%swake:voice:%s", pre, voices.v[i]);
			sum_rate(k, get("%s|wakevoice|%s|*", L, voices.v[i]));
		}
		for (i = 0; i < kinds.n; i++) {
			snprintf(k, sizeof k, "%sfwh:kind:%s", pre, kinds.v[i]);
			sum_neg(k, get("%s|fwk|%s|*", L, kinds.v[i]));
		}
		if (!kws) {
			snprintf(k, sizeof k, "%scmd", pre);
			sum_rate(k, cm);
			snprintf(k, sizeof k, "%scmdwake", pre);
			sum_rate(k, cmw);
			snprintf(k, sizeof k, "%sreject", pre);
			sum_rate(k, rj);
			snprintf(k, sizeof k, "%stimeouts", pre);
			sum_rate(k, to);
			if (nlat) {
				fprintf(summary, "%slat50\t%.0f\tn=%d\n", pre, p50, nlat);
				fprintf(summary, "%slat95\t%.0f\tn=%d\n", pre, p95, nlat);
			}
		}
		if (!ko && !kws && wall > 0)
			fprintf(summary, "speed\t%.1f\t%.0f s of audio in %.0f s, %d jobs\n", audio / fmax(1e-9, wall),
			    audio, wall, jobs);
	}

	/* breakdowns */
	const char *lang = ko ? "Korean" : "English";
	printf("\n");
	snprintf(title, sizeof title, "wake detection by family and condition (%s wake+command and "
	    "wake+non-command files):", lang);
	table(title, L, "wake", &fams, "family", &conds, 0);
	if (voices.n > 1) {
		printf("wake detection by voice:\n");
		for (i = 0; i < voices.n; i++) {
			rate_cell(buf, sizeof buf, get("%s|wakevoice|%s|*", L, voices.v[i]));
			printf("  %-18s %s\n", voices.v[i], buf);
		}
	}
	if (!kws) {
		snprintf(title, sizeof title, "command accuracy after a wake, by family and condition (%s):", lang);
		table(title, L, "cmdwake", &fams, "family", &conds, 0);
		printf("non-command rejection (woken wake+non-command files) by family:");
		for (i = 0; i < fams.n; i++) {
			struct cell c = get("%s|reject|%s|*", L, fams.v[i]);
			if (c.n == 0)
				continue;
			rate_cell(buf, sizeof buf, c);
			printf("  %s %s", fams.v[i], buf);
		}
		printf("\n");
	}
	if (kinds.n) {
		snprintf(title, sizeof title, "false wakes per hour by kind of speech without the wake phrase (%s; "
		    "per hour (wakes/hours)):", lang);
		table(title, L, "fwk", &kinds, "kind", &conds, 1);
		snprintf(title, sizeof title, "false wakes per hour by family (%s; per hour (wakes/hours)):", lang);
		table(title, L, "fwf", &fams, "family", &conds, 1);
	}
}

/* ------------------------------------------------------------ main */

static int
match_mode(FILE *sum)
{
	char line[8192];
	int right[2] = { 0, 0 }, total[2] = { 0, 0 };

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
	if (sum) {
		if (total[0])
			fprintf(sum, "cmd\t%.1f\t%d/%d\n", 100.0 * right[0] / total[0], right[0], total[0]);
		if (total[1])
			fprintf(sum, "reject\t%.1f\t%d/%d\n", 100.0 * right[1] / total[1], right[1], total[1]);
	}
	return 0;
}

static int
kws_mode(const char *dir)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		char *tab = strchr(line, '\t');
		line[strcspn(line, "\r\n")] = '\0';
		if (tab == NULL)
			continue;
		*tab = '\0';
		const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
		for (int i = 0; i < nrows; i++)
			if (rows[i].sel && !strcmp(rows[i].f[C_FILE], base)) {
				RES[i].idx = i;
				RES[i].ok = 1;
				RES[i].wakes = atoi(tab + 1);
				if (rows[i].dur > 0) {
					RES[i].dur = rows[i].dur;
				} else {
					struct stat st;
					char path[4096];
					snprintf(path, sizeof path, "%s/%s", dir, rows[i].f[C_FILE]);
					RES[i].dur = stat(path, &st) == 0 ? (double)(st.st_size - 44) / 32000.0 : 0;
				}
				break;
			}
	}
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	char err[4096], engine[64] = "";
	int match = 0, kws = 0, subset = 0, jobs = 1, i;
	const char *dir = NULL, *sumpath = NULL;
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
				fprintf(stderr, "speech-eval: %s\n", err);
				return 2;
			}
			if (!strcmp(argv[i], "engine"))
				snprintf(engine, sizeof engine, "%s", eq + 1);
		} else if (!strcmp(argv[i], "--dump")) {
			dump = 1;
		} else if (!strcmp(argv[i], "--match")) {
			match = 1;
		} else if (!strcmp(argv[i], "--kws")) {
			kws = 1;
		} else if (!strcmp(argv[i], "--subset")) {
			subset = 1;
		} else if (!strcmp(argv[i], "-j") && i + 1 < argc) {
			jobs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--summary") && i + 1 < argc) {
			sumpath = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "speech-eval: unknown option %s\n", argv[i]);
			return 2;
		} else {
			dir = argv[i];
		}
	}
	if (sumpath && (summary = fopen(sumpath, "w")) == NULL) {
		perror(sumpath);
		return 1;
	}
	if ((cat = catalogue_load(cfg.catalogue, err, sizeof err)) == NULL) {
		fputs(err, stderr);
		return 1;
	}
	if (match) {
		match_mode(summary);
		goto done;
	}
	if (dir == NULL) {
		fprintf(stderr, "usage: speech-eval [-o NAME=VALUE]... [--dump] [-j JOBS] [--subset] [--summary FILE] "
		    "CORPUS_DIR\n       speech-eval --kws [--subset] [--summary FILE] CORPUS_DIR < file<TAB>count\n"
		    "       speech-eval --match [--summary FILE] < expect<TAB>hyp|hyp...\n");
		return 2;
	}
	if (load_manifest(dir, subset) < 0)
		return 1;
	RES = calloc((size_t)nrows + 1, sizeof *RES);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (kws) {
		kws_mode(dir);
		snprintf(engine, sizeof engine, "(external detections)");
	} else {
		struct speech *probe;
		config_speech(&cfg, &sc);
		if (!*engine)
			snprintf(engine, sizeof engine, "%s",
			    sc.engine == SPEECH_ENGINE_POCKETSPHINX ? "pocketsphinx" : "embedding");
		/* fail once, clearly, if this engine cannot be built (e.g. no trained heads) */
		if ((probe = speech_new(&sc, cat, collect, NULL, err, sizeof err)) == NULL) {
			fprintf(stderr, "speech-eval: engine %s not available: %s\n", engine, err);
			return 3;
		}
		speech_free(probe);
		if (run_files(dir, jobs, RES) < 0) {
			fprintf(stderr, "speech-eval: decoding failed\n");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, audio = 0;
		for (i = 0; i < nrows; i++)
			if (RES[i].ok)
				audio += RES[i].dur;
		if (summary)
			fprintf(summary, "engine\t%s\t-\n", engine);
		report("en", kws, subset, kws ? 0 : wall, jobs, audio, engine);
		report("ko", kws, subset, 0, jobs, audio, engine);
	}
done:
	if (summary)
		fclose(summary);
	catalogue_free(cat);
	config_free(&cfg);
	return 0;
}
