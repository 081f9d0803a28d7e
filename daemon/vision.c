/*
 * vision — the camera thread (vision.h): camera → faces + hand → queue.
 */
#include "daemon/vision.h"
#include "base/xalloc.h"
#include "base/worker.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/queue.h"
#include "devices/cv_video.h"
#include "devices/record.h"
#include "models/face_guide.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAT_BIN_MS   0.1                 /* latency histogram resolution */
#define LAT_BINS     10000               /* up to 1 s; slower frames go in the last bin */
#define MIN_FACE_PX  24                  /* smaller faces are not recognized */
#define DEFAULT_VERIFY_TIMEOUT_S 30.0
#define EYES_FACE_PX 96                  /* the eye check runs on a face this wide */

struct vision {
	struct vision_config cfg;
	char            *role, *camera, *state_dir, *enrolled, *model, *cascade_dir;
	struct queue    *q;
	void           (*wake)(void *);
	void            *wake_ud;
	struct camera_sup *cam;
	struct face_ctx *face;
	struct hand_tracker *hand;
	struct face_person *person;
	double           threshold;
	int              live;               /* a live camera: reopened after a loss */
	struct worker    thr;                /* the thread and its stop flag */
	atomic_uint      verify_req;         /* bumped by vision_verify */
	atomic_int       private_req;        /* set by vision_set_private */
	atomic_uint      enroll_req;         /* bumped by vision_enroll (the name: enroll_want) */
	atomic_uint      cancel_req;         /* bumped by vision_enroll_cancel */

	/* the thread's own */
	struct cv_image  im;
	uint64_t         frame_no;
	struct camera_clock clk;             /* stream time continues after a reopen */
	struct face_det  faces[FACE_MAX_DETS];
	int              nfaces;
	int              have_track;         /* faces[0] of the last detection */
	struct cv_rect   track;
	unsigned         next_tile;
	double           dist[FACE_MAX_DETS];  /* per detection: -2 not computed, -1 failed */
	struct cv_image  crop, eyes;
	struct face_blink blink;             /* the challenge's eye aspect ratios */
	int              pushed;             /* inputs pushed for this frame */
	int              warned_detect, warned_rec, warned_queue;
	/* verification */
	unsigned         verify_seen;
	int              verifying;
	double           verify_t0;
	struct face_live lv;
	/* a guided enrollment */
	unsigned         enroll_seen, cancel_seen;
	int              enrolling;
	char             enroll_name[FACE_NAME_MAX];
	struct face_guide guide;
	/* private mode */
	int              priv;
	double           t_seen;             /* the enrolled face last matched */
	struct cv_rect   user_box;
	int              have_user_box;
	int              since_check;
	int              absent_sent;
	int              unknown_run, unknown_sent;
	/* once-a-second log */
	double           log_wall;
	uint64_t         log_frames;

	pthread_mutex_t  lock;               /* guards what follows */
	uint64_t         frames, face_runs, inputs;
	double           wall_first, wall_last;
	double           lat_sum, lat_min, lat_max, face_sum, hand_sum;
	uint32_t        *lat_hist;
	int              w, h;
	char             enroll_want[FACE_NAME_MAX];  /* vision_enroll's name */

	/* the preview of a running verification (vision_snapshot) */
	pthread_mutex_t  snap_lock;          /* guards the five that follow */
	uint8_t         *snap;               /* JPEG, or NULL: taken or none */
	size_t           snap_len;
	int              snap_w, snap_h;
	double           snap_t;
	enum face_live_state snap_step;
	int              snap_verifying;     /* ... made for a verification */
	double           snap_next;          /* the thread's own: stream time of the next */
	struct cv_image  snap_im;
	atomic_int       snap_wanted;        /* the admin page asked for one (vision_want_snapshot) */
};

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Copies an input into the queue; the wake call is left to the caller,
 * once per frame. */
static void
push(struct vision *v, struct input *in)
{
	snprintf(in->source, sizeof in->source, "vision");
	if (queue_push(v->q, in) < 0) {
		if (!v->warned_queue++)
			log_warnx("event queue full: a %s input was dropped", v->role);
	} else {
		pthread_mutex_lock(&v->lock);
		v->inputs++;
		pthread_mutex_unlock(&v->lock);
	}
	v->pushed++;
}

static void
push_face(struct vision *v, double t, enum face_result result, const char *text)
{
	struct input in = { .kind = IN_FACE, .t = t };

	in.face.result = result;
	snprintf(in.face.text, sizeof in.face.text, "%s", text);
	snprintf(in.face.camera, sizeof in.face.camera, "%s", v->role);
	log_info("camera %s: face %s at %.2f s%s%s", v->role, face_result_name(result), t,
	    *text ? ": " : "", text);
	push(v, &in);
}

static void
push_camera(struct vision *v, double t, enum camera_state state, const char *text)
{
	struct input in = { .kind = IN_CAMERA, .t = t };

	in.camera.state = state;
	snprintf(in.camera.role, sizeof in.camera.role, "%s", v->role);
	snprintf(in.camera.text, sizeof in.camera.text, "%.250s", text ? text : "");
	push(v, &in);
	v->wake(v->wake_ud);
}

/* ---- faces ---- */

static int
by_area(const void *a, const void *b)
{
	const struct face_det *x = a, *y = b;
	double ax = (double)x->box.w * x->box.h, ay = (double)y->box.w * y->box.h;

	return ax < ay ? 1 : ax > ay ? -1 : 0;
}

/* Runs the detector on the square-ish window (x0, y0, w, h) of the frame
 * (a view, no copy) and appends what it finds, in frame pixels, to
 * v->faces (from index n, skipping faces already there); the new count. */
static int
detect_in(struct vision *v, int x0, int y0, int w, int h, int n)
{
	struct face_det d[FACE_MAX_DETS];
	struct cv_image view = v->im;
	char err[256];
	int k;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x0 + w > v->im.w)
		w = v->im.w - x0;
	if (y0 + h > v->im.h)
		h = v->im.h - y0;
	if (w < 16 || h < 16)
		return n;
	view.w = w;
	view.h = h;
	view.data = v->im.data + (size_t)y0 * v->im.stride + (size_t)x0 * 3;
	if ((k = face_detect(v->face, &view, d, FACE_MAX_DETS, err, sizeof err)) < 0) {
		if (!v->warned_detect++)
			log_warnx("camera %s: face detection: %s", v->role, err);
		return n;
	}
	for (int i = 0; i < k && n < FACE_MAX_DETS; i++) {
		struct cv_rect *b = &d[i].box;
		int dup = 0;
		b->x += x0;
		b->y += y0;
		for (int j = 0; j < FACE_NKP; j++) {
			d[i].kp[j].x += x0;
			d[i].kp[j].y += y0;
		}
		for (int j = 0; j < n && !dup; j++) {
			const struct cv_rect *o = &v->faces[j].box;
			dup = fabsf((b->x + b->w / 2) - (o->x + o->w / 2)) < o->w / 2 &&
			    fabsf((b->y + b->h / 2) - (o->y + o->h / 2)) < o->h / 2;
		}
		if (!dup)
			v->faces[n++] = d[i];
	}
	return n;
}

/* Detects the faces of the current frame, largest first.  BlazeFace's
 * short-range model misses faces smaller than about 1/7 of its (square,
 * letterboxed) input, i.e. anyone more than ~1.5 m from a 640x480 camera.
 * So: a face seen before is looked for in a window 4 face widths wide
 * around it; then in the whole frame; and when none is known, one tile
 * (half the frame's short side, overlapping by a third) per detected
 * frame, in turn, finds a small face within a second.  `full` (private
 * mode checks) always looks at the whole frame too, for other people. */
static void
detect(struct vision *v, int full)
{
	int n = 0, side, tiles_x, tiles_y, step, tx, ty, k;

	if (v->have_track) {
		const struct cv_rect *b = &v->track;
		side = (int)(4 * (b->w > b->h ? b->w : b->h));
		n = detect_in(v, (int)(b->x + b->w / 2) - side / 2, (int)(b->y + b->h / 2) - side / 2,
		    side, side, 0);
	}
	if (n == 0 || full)
		n = detect_in(v, 0, 0, v->im.w, v->im.h, n);
	if (n == 0) {
		side = (v->im.w < v->im.h ? v->im.w : v->im.h) / 2;
		step = side * 2 / 3;
		tiles_x = v->im.w <= side ? 1 : (v->im.w - side + step - 1) / step + 1;
		tiles_y = v->im.h <= side ? 1 : (v->im.h - side + step - 1) / step + 1;
		k = (int)(v->next_tile++ % (unsigned)(tiles_x * tiles_y));
		tx = k % tiles_x * step;
		ty = k / tiles_x * step;
		if (tx + side > v->im.w)
			tx = v->im.w - side;
		if (ty + side > v->im.h)
			ty = v->im.h - side;
		n = detect_in(v, tx, ty, side, side, 0);
	}
	qsort(v->faces, (size_t)n, sizeof v->faces[0], by_area);
	v->nfaces = n;
	for (int i = 0; i < n; i++)
		v->dist[i] = -2;
	v->have_track = n > 0;
	if (n > 0)
		v->track = v->faces[0].box;
}

/* Distance of detection i from the enrolled person (computed once per
 * detection); -1 when it cannot be told (no person, tiny face, error). */
static double
face_dist(struct vision *v, int i)
{
	char err[256];

	if (v->dist[i] != -2)
		return v->dist[i];
	v->dist[i] = -1;
	if (v->person == NULL || v->faces[i].box.w < MIN_FACE_PX)
		return -1;
	if (face_person_match(v->face, v->person, &v->im, &v->faces[i], &v->dist[i], err,
	    sizeof err) == 0)
		return v->dist[i];
	log_debug("camera %s: recognition: %s", v->role, err);
	v->dist[i] = -1;
	return -1;
}

static int
face_match(struct vision *v, int i)
{
	double d = face_dist(v, i);

	return d >= 0 && d <= v->threshold;
}

/* face_eyes_open: with the landmark network, on the frame (its crop is
 * resampled to 112 pixels whatever the face's size), the eye aspect ratio
 * against this challenge's earlier frames (v->blink); with the eye cascade
 * (no landmark model), on the upper face scaled down to EYES_FACE_PX wide:
 * the cascade costs ~4 times less there (10 ms instead of 38 ms for a
 * 170-pixel face on one core) and finds the same eyes. */
static int
eyes_open(struct vision *v, const struct face_det *d)
{
	struct face_det s = *d;
	struct cv_image view;
	int x0, y0, x1, y1;
	double k;
	char err[256];

	if (face_eyes_method(v->face) == 1)
		return face_eyes_open(v->face, &v->im, d, &v->blink);
	if (d->box.w <= EYES_FACE_PX)
		return face_eyes_open(v->face, &v->im, d, NULL);
	x0 = d->box.x < 0 ? 0 : (int)d->box.x;
	y0 = d->box.y < 0 ? 0 : (int)d->box.y;
	x1 = (int)(d->box.x + d->box.w);
	y1 = (int)(d->box.y + d->box.h * 0.6f);
	if (x1 > v->im.w)
		x1 = v->im.w;
	if (y1 > v->im.h)
		y1 = v->im.h;
	if (x1 - x0 < 8 || y1 - y0 < 8)
		return -1;
	view = v->im;          /* a view into the frame: not freed */
	view.w = x1 - x0;
	view.h = y1 - y0;
	view.data = v->im.data + (size_t)y0 * v->im.stride + (size_t)x0 * 3;
	k = EYES_FACE_PX / d->box.w;
	if (cv_image_resize(&view, (int)lround(view.w * k), (int)lround(view.h * k), &v->eyes,
	    err, sizeof err) != 0)
		return -1;
	s.box.x = (float)((d->box.x - x0) * k);
	s.box.y = (float)((d->box.y - y0) * k);
	s.box.w = (float)(d->box.w * k);
	s.box.h = (float)(d->box.h * k);
	return face_eyes_open(v->face, &v->eyes, &s, NULL);
}

/* Loads (again) the enrolled person: a `face enroll` run since counts. */
static void
reload_person(struct vision *v)
{
	char err[512];
	struct face_person *p;
	int missing = 0;

	if (*v->enrolled == '\0')
		return;
	if ((p = face_person_load(v->state_dir, v->enrolled, &missing, err, sizeof err)) == NULL ||
	    face_person_usable(v->face, p, err, sizeof err) == -1) {
		if (v->person == NULL || p != NULL)
			log_warnx("camera %s: %s: %s", v->role, v->enrolled,
			    missing ? "nobody enrolled under that name" : err);
		if (p != NULL) {            /* the other descriptor's: refused */
			face_person_free(p);
			face_person_free(v->person);
			v->person = NULL;
		}
		return;
	}
	face_person_free(v->person);
	v->person = p;
}

static void
start_verify(struct vision *v, double t)
{
	char why[160];
	struct face_person *p;
	int missing;

	reload_person(v);
	if (v->person == NULL) {
		if (*v->enrolled == '\0')
			snprintf(why, sizeof why, "nobody is enrolled (private_face)");
		else if (face_recognizer_error(v->face) != NULL)
			snprintf(why, sizeof why, "face recognition is off (its model is broken)");
		else if ((p = face_person_load(v->state_dir, v->enrolled, &missing, NULL, 0)) != NULL) {
			snprintf(why, sizeof why, "%s was enrolled with the %s descriptor: enroll again",
			    v->enrolled, face_descriptor_name(face_person_descriptor(p)));
			face_person_free(p);
		} else
			snprintf(why, sizeof why, "no enrolled face for %s", v->enrolled);
		push_face(v, t, FACE_FAILED, why);
		return;
	}
	face_live_init(&v->lv, &v->cfg.live);
	v->verifying = 1;
	v->verify_t0 = t;
	v->snap_next = t;
	log_info("camera %s: verifying %s (look at the camera, then turn your head or blink)",
	    v->role, v->enrolled);
}

/* One detected frame of a running verification. */
static void
verify_step(struct vision *v, double t)
{
	enum face_live_state st;

	if (v->nfaces == 0) {
		st = face_live_feed(&v->lv, t, NULL, 0, -1);
	} else {
		int match = face_match(v, 0);
		/* the eyes are only needed for the challenge (a blink); the
		 * landmarks (4 ms) also run on the matched frames before it,
		 * which learn this face's open level (v->blink, from the
		 * face's first match on), so a blink counts from the
		 * challenge's start; the cascade costs more, and needs no
		 * history */
		int eyes, lm = face_eyes_method(v->face) == 1;
		if (v->lv.st == FACE_LIVE_SEARCHING && v->lv.matches == 0)
			face_blink_reset(&v->blink);
		eyes = v->lv.st == FACE_LIVE_CHALLENGE || (lm && match &&
		    v->lv.st == FACE_LIVE_SEARCHING) ? eyes_open(v, &v->faces[0]) : -1;
		st = face_live_feed(&v->lv, t, &v->faces[0], match, eyes);
		log_debug("camera %s: verify t=%.2f dist=%.1f match=%d eyes=%d yaw=%.3f state=%d",
		    v->role, t, v->dist[0], match, eyes, face_yaw(&v->faces[0]), (int)st);
		if (match) {
			v->t_seen = t;
			v->user_box = v->faces[0].box;
			v->have_user_box = 1;
		}
	}
	if (st == FACE_LIVE_VERIFIED) {
		v->verifying = 0;
		push_face(v, t, FACE_VERIFIED, v->enrolled);
	}
}

/* The preview of a running verification: every VISION_SNAPSHOT_S of
 * stream time, the frame scaled to VISION_SNAPSHOT_W wide as a JPEG, left
 * for the service thread (an older one not taken yet is replaced).
 * Returns 1 when one was left. */
static int
snapshot(struct vision *v, double t)
{
	uint8_t *buf = NULL, *old;
	size_t len = 0;
	int w = VISION_SNAPSHOT_W, h;
	char err[160];

	if (t < v->snap_next || v->im.w <= 0 || v->im.h <= 0)
		return 0;
	v->snap_next = t + VISION_SNAPSHOT_S;
	if (w > v->im.w)
		w = v->im.w;
	h = (int)((double)v->im.h * w / v->im.w + 0.5);
	if (h < 1)
		h = 1;
	if (cv_image_resize(&v->im, w, h, &v->snap_im, err, sizeof err) < 0 ||
	    cv_image_encode(&v->snap_im, ".jpg", VISION_SNAPSHOT_QUALITY, &buf, &len, err, sizeof err) < 0) {
		if (!v->warned_detect++)
			log_warnx("camera %s: preview: %s", v->role, err);
		return 0;
	}
	pthread_mutex_lock(&v->snap_lock);
	old = v->snap;
	v->snap = buf;
	v->snap_len = len;
	v->snap_w = w;
	v->snap_h = h;
	v->snap_t = t;
	v->snap_step = v->lv.st;
	v->snap_verifying = v->verifying;
	pthread_mutex_unlock(&v->snap_lock);
	free(old);
	return 1;
}

static void
start_private(struct vision *v, double t)
{
	v->t_seen = t;
	v->since_check = VISION_PRIVATE_EVERY;
	v->absent_sent = 0;
	v->unknown_run = v->unknown_sent = 0;
}

/* One recognition check in private mode. */
static void
private_check(struct vision *v, double t)
{
	int n = v->nfaces < VISION_MAX_FACES ? v->nfaces : VISION_MAX_FACES;
	int best = -1, unknown = 0;

	for (int i = 0; i < n; i++)
		if (face_match(v, i) && (best < 0 || v->dist[i] < v->dist[best]))
			best = i;
	if (best >= 0) {
		v->t_seen = t;
		v->user_box = v->faces[best].box;
		v->have_user_box = 1;
	}
	for (int i = 0; i < n && !unknown; i++) {
		const struct cv_rect *b = &v->faces[i].box, *u = &v->user_box;
		if (i == best || v->dist[i] < 0)
			continue;
		if (best >= 0)
			unknown = 1;              /* beside the enrolled face */
		else if (!v->have_user_box ||
		    fabsf((b->x + b->w / 2) - (u->x + u->w / 2)) > u->w ||
		    fabsf((b->y + b->h / 2) - (u->y + u->h / 2)) > u->w)
			unknown = 1;              /* instead of it, elsewhere */
		else if (t - v->t_seen >= VISION_UNKNOWN_SAME_SPOT_S)
			unknown = 1;              /* instead of it, at its place */
	}
	if (unknown) {
		if (++v->unknown_run >= VISION_UNKNOWN_CHECKS && !v->unknown_sent) {
			v->unknown_sent = 1;
			push_face(v, t, FACE_UNKNOWN, "");
		}
	} else {
		v->unknown_run = 0;
		v->unknown_sent = 0;
	}
	if (v->cfg.absent_s > 0 && !v->absent_sent && t - v->t_seen >= v->cfg.absent_s) {
		v->absent_sent = 1;
		push_face(v, t, FACE_ABSENT, v->enrolled);
	}
}

/* ---- a guided enrollment (models/face_guide.h) ---- */

static void
push_enroll(struct vision *v, double t, enum enroll_state state, int pose, const char *text)
{
	struct input in = { .kind = IN_ENROLL, .t = t };
	struct input_enroll *e = &in.enroll;

	e->state = state;
	snprintf(e->name, sizeof e->name, "%s", v->enroll_name);
	snprintf(e->pose, sizeof e->pose, "%s", face_guide_pose_name(pose) ? face_guide_pose_name(pose) : "");
	snprintf(e->text, sizeof e->text, "%s", text ? text : "");
	if (pose >= 0 && pose < FACE_GUIDE_POSES)
		e->got = v->guide.got[pose];
	e->need = FACE_GUIDE_PER_POSE;
	e->images = v->guide.n;
	log_info("camera %s: enroll %s %s%s%s at %.2f s%s%s", v->role, v->enroll_name,
	    enroll_state_name(state), e->pose[0] ? " " : "", e->pose, t, *e->text ? ": " : "", e->text);
	push(v, &in);
}

/* The enrollment is over (the guide's frames freed). */
static void
enroll_over(struct vision *v)
{
	v->enrolling = 0;
	face_guide_clear(&v->guide);
}

static void
start_enroll(struct vision *v, double t)
{
	char name[FACE_NAME_MAX], why[160];

	pthread_mutex_lock(&v->lock);
	snprintf(name, sizeof name, "%s", v->enroll_want);
	pthread_mutex_unlock(&v->lock);
	if (v->enrolling || v->verifying) {
		/* the service thread refuses these first; say so anyway */
		snprintf(why, sizeof why, v->enrolling ? "an enrollment of %s is running" :
		    "a face verification is running", v->enroll_name);
		snprintf(v->enroll_name, sizeof v->enroll_name, "%s", name);
		push_enroll(v, t, ENROLL_FAILED, -1, why);
		return;
	}
	snprintf(v->enroll_name, sizeof v->enroll_name, "%s", name);
	face_guide_start(&v->guide);
	v->enrolling = 1;
	push_enroll(v, t, ENROLL_STARTED, 0, face_guide_pose_say(0));
}

/* What the guide said at t: the events, and at the end the enrollment
 * itself (face_enroll into the state dir; the enrolled person reloaded
 * when it is private_face, so the next verification and private mode's
 * checks use it). */
static void
enroll_report(struct vision *v, double t, unsigned ev)
{
	struct face_guide *g = &v->guide;
	char text[512];

	if (ev & FACE_GUIDE_SKIPPED) {
		snprintf(text, sizeof text, "no %s pose seen in %.0f s", face_guide_pose_name(g->skipped),
		    FACE_GUIDE_POSE_S);
		push_enroll(v, t, ENROLL_SKIPPED, g->skipped, text);
	}
	if (ev & FACE_GUIDE_POSE)
		push_enroll(v, t, ENROLL_POSE, g->pose, face_guide_pose_say(g->pose));
	if (ev & FACE_GUIDE_KEPT)
		push_enroll(v, t, ENROLL_PROGRESS, g->pose, "");
	for (int q = 0; q < FACE_GUIDE_POSES; q++)
		if (g->skipped_at_end & (1u << q)) {
			snprintf(text, sizeof text, "no %s pose seen before the camera's end",
			    face_guide_pose_name(q));
			push_enroll(v, t, ENROLL_SKIPPED, q, text);
		}
	g->skipped_at_end = 0;
	if (ev & FACE_GUIDE_FAILED) {
		face_guide_why(g, text, sizeof text);
		push_enroll(v, t, ENROLL_FAILED, -1, text);
		enroll_over(v);
	} else if (ev & FACE_GUIDE_DONE) {
		if (face_enroll(v->face, v->state_dir, v->enroll_name, g->ims, g->n, text, sizeof text) < 0)
			push_enroll(v, t, ENROLL_FAILED, -1, text);
		else {
			if (strcmp(v->enroll_name, v->enrolled) == 0)
				reload_person(v);
			push_enroll(v, t, ENROLL_DONE, -1,
			    face_descriptor_name(face_descriptor_of(v->face)));
		}
		enroll_over(v);
	}
}

/* Ends a running enrollment as failed (cancelled, the camera gone). */
static void
enroll_fail(struct vision *v, double t, const char *why)
{
	if (!v->enrolling)
		return;
	push_enroll(v, t, ENROLL_FAILED, -1, why);
	enroll_over(v);
}

/* An enrollment asked for while no frames come: failed at once. */
static void
enroll_refuse_asked(struct vision *v, double t, const char *why)
{
	unsigned req = atomic_load(&v->enroll_req);

	if (req == v->enroll_seen)
		return;
	v->enroll_seen = req;
	pthread_mutex_lock(&v->lock);
	snprintf(v->enroll_name, sizeof v->enroll_name, "%s", v->enroll_want);
	pthread_mutex_unlock(&v->lock);
	push_enroll(v, t, ENROLL_FAILED, -1, why);
}

/* ---- the thread ---- */

static void
push_hand(struct vision *v, const struct hand_event *e)
{
	struct input in = { .kind = IN_GESTURE, .t = e->t };
	struct input_gesture *g = &in.gesture;

	switch (e->type) {
	case HAND_ENGAGE:
		g->what = GESTURE_ENGAGE;
		break;
	case HAND_CURSOR:
		g->what = GESTURE_CURSOR;
		g->x = e->x;
		g->y = e->y;
		g->cursor = e->state == HAND_PRESS ? CURSOR_PRESS :
		    e->state == HAND_RELEASE ? CURSOR_RELEASE : CURSOR_MOVE;
		break;
	case HAND_DISENGAGE:
		g->what = GESTURE_DISENGAGE;
		snprintf(g->reason, sizeof g->reason, "%s", e->reason ? e->reason : "");
		break;
	}
	if (e->type != HAND_CURSOR)
		log_debug("camera %s: %s at %.2f s%s%s", v->role, gesture_kind_name(g->what), e->t,
		    *g->reason ? ": " : "", g->reason);
	push(v, &in);
}

static void
account(struct vision *v, double w0, double w_face, double w_hand, double w1, int detected)
{
	double lat = (w1 - w0) * 1e3;
	size_t bin = (size_t)(lat / LAT_BIN_MS);

	if (bin >= LAT_BINS)
		bin = LAT_BINS - 1;
	pthread_mutex_lock(&v->lock);
	if (v->frames == 0) {
		v->wall_first = w0;
		v->lat_min = lat;
	}
	v->wall_last = w1;
	v->frames++;
	v->lat_sum += lat;
	if (lat < v->lat_min)
		v->lat_min = lat;
	if (lat > v->lat_max)
		v->lat_max = lat;
	v->lat_hist[bin]++;
	v->hand_sum += w_hand * 1e3;
	if (detected) {
		v->face_runs++;
		v->face_sum += w_face * 1e3;
	}
	v->w = v->im.w;
	v->h = v->im.h;
	pthread_mutex_unlock(&v->lock);
	if (w1 - v->log_wall >= 1.0) {
		if (v->log_wall > 0)
			log_debug("camera %s: %.1f fps, last frame %.1f ms", v->role,
			    (v->frames - v->log_frames) / (w1 - v->log_wall), lat);
		v->log_wall = w1;
		v->log_frames = v->frames;
	}
}

static void
process_frame(struct vision *v, double t)
{
	struct hand_event ev[8];
	double w0 = clock_mono(), w_face = 0, w_hand, a;
	unsigned req;
	int priv, detected, n;
	char err[256];

	v->pushed = 0;
	req = atomic_load(&v->enroll_req);
	if (req != v->enroll_seen) {
		v->enroll_seen = req;
		start_enroll(v, t);
	}
	req = atomic_load(&v->cancel_req);
	if (req != v->cancel_seen) {
		v->cancel_seen = req;
		enroll_fail(v, t, "cancelled");
	}
	req = atomic_load(&v->verify_req);
	if (req != v->verify_seen) {
		v->verify_seen = req;
		if (!v->verifying && v->enrolling)
			push_face(v, t, FACE_FAILED, "a face enrollment is running");
		else if (!v->verifying)
			start_verify(v, t);
	}
	priv = atomic_load(&v->private_req);
	if (priv != v->priv) {
		v->priv = priv;
		if (priv)
			start_private(v, t);
	}

	/* an enrollment looks at every frame, and at the whole of it (the
	 * guide keeps only frames with exactly one face) */
	detected = v->enrolling || v->frame_no % (uint64_t)v->cfg.face_every == 0;
	v->frame_no++;
	if (detected) {
		a = clock_mono();
		detect(v, v->enrolling || (v->priv && v->since_check + 1 >= VISION_PRIVATE_EVERY));
		w_face = clock_mono() - a;
	}

	a = clock_mono();
	n = hand_feed(v->hand, &v->im, v->nfaces > 0 ? &v->faces[0].box : NULL, t, ev, 8);
	w_hand = clock_mono() - a;
	for (int i = 0; i < n; i++)
		push_hand(v, &ev[i]);

	a = clock_mono();
	if (v->enrolling)
		enroll_report(v, t, face_guide_feed(&v->guide, t, &v->im, v->faces, v->nfaces));
	if (v->verifying && detected)
		verify_step(v, t);
	if (v->verifying && t - v->verify_t0 > v->cfg.verify_timeout_s) {
		v->verifying = 0;
		push_face(v, t, FACE_FAILED, "not verified in time");
	}
	if ((v->verifying || atomic_load(&v->snap_wanted)) && snapshot(v, t)) {
		atomic_store(&v->snap_wanted, 0);
		v->pushed++;	/* the service thread takes it on the wake below */
	}
	v->since_check++;
	if (v->priv && detected && v->since_check >= VISION_PRIVATE_EVERY) {
		v->since_check = 0;
		private_check(v, t);
	}
	if (detected)
		w_face += clock_mono() - a;
	if (v->pushed)
		v->wake(v->wake_ud);
	account(v, w0, w_face, w_hand, clock_mono(), detected);

	if (v->cfg.rec != NULL && !v->warned_rec &&
	    record_frame(v->cfg.rec, v->role, &v->im, t, err, sizeof err) < 0) {
		log_warnx("record: %s (camera %s is no longer recorded)", err, v->role);
		v->warned_rec = 1;
	}
}

static void *
vision_main(void *arg)
{
	struct vision *v = arg;
	char err[512];
	double t;

	while (!worker_stopping(&v->thr)) {
		switch (camera_sup_read(v->cam, &v->im, &t, err, sizeof err)) {
		case CAMERA_SUP_FRAME:
			t = camera_clock_frame(&v->clk, camera_sup_camera(v->cam), t);
			if (v->im.channels != 3) {
				if (!v->warned_detect++)
					log_warnx("camera %s: not a colour frame", v->role);
				break;
			}
			process_frame(v, t);
			break;
		case CAMERA_SUP_END:
			log_info("camera %s: the replay ended at %.2f s", v->role, v->clk.last);
			if (v->verifying) {
				v->verifying = 0;
				push_face(v, v->clk.last, FACE_FAILED, "the camera stream ended");
			}
			if (v->enrolling)	/* what it has: enough straight frames enroll */
				enroll_report(v, v->clk.last, face_guide_end(&v->guide));
			enroll_refuse_asked(v, v->clk.last, "the camera stream ended");
			push_camera(v, v->clk.last, CAMERA_END, "");
			return NULL;
		case CAMERA_SUP_LOST:
			log_warnx("camera %s lost: %s", v->role, err);
			push_camera(v, v->clk.last, CAMERA_LOST, err);
			hand_reset(v->hand);
			v->nfaces = 0;
			v->have_track = 0;
			if (!v->live) {
				enroll_fail(v, v->clk.last, "the camera stream failed");
				/* a replay reopened would start over */
				push_camera(v, v->clk.last, CAMERA_END, "a replay is not reopened");
				return NULL;
			}
			break;
		case CAMERA_SUP_BACK:
			log_info("camera %s is back", v->role);
			push_camera(v, v->clk.last, CAMERA_BACK, "");
			v->clk.rebase = 1;
			break;
		case CAMERA_SUP_WAIT:
		default:
			/* no frames: a verification cannot pass, say so now */
			if (v->verifying || atomic_load(&v->verify_req) != v->verify_seen) {
				v->verify_seen = atomic_load(&v->verify_req);
				v->verifying = 0;
				push_face(v, v->clk.last, FACE_FAILED, "the camera is gone");
				v->wake(v->wake_ud);
			}
			if (v->enrolling || atomic_load(&v->enroll_req) != v->enroll_seen) {
				enroll_fail(v, v->clk.last, "the camera is gone");
				enroll_refuse_asked(v, v->clk.last, "the camera is gone");
				v->wake(v->wake_ud);
			}
			break;
		}
	}
	return NULL;
}

/* ---- the service thread's side ---- */

struct vision *
vision_new(const struct vision_config *cfg, struct queue *q, void (*wake)(void *),
    void *wake_ud, char *err, size_t errlen)
{
	struct camera_sup_conf conf = { 0 };
	struct vision *v;
	struct camera *c;

	if (cfg->camera == NULL || *cfg->camera == '\0') {
		snprintf(err, errlen, "camera %s: no camera spec", cfg->role ? cfg->role : "?");
		return NULL;
	}
	v = xcalloc(1, sizeof *v);
	v->lat_hist = xcalloc(LAT_BINS, sizeof *v->lat_hist);
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->snap_lock, NULL);
	v->cfg = *cfg;
	v->role = dup_or_empty(cfg->role && *cfg->role ? cfg->role : "room");
	v->camera = dup_or_empty(cfg->camera);
	v->state_dir = dup_or_empty(cfg->state_dir);
	v->enrolled = dup_or_empty(cfg->enrolled);
	v->model = cfg->face.model ? xstrdup(cfg->face.model) : NULL;
	v->cascade_dir = cfg->face.cascade_dir ? xstrdup(cfg->face.cascade_dir) : NULL;
	v->cfg.role = v->role;
	v->cfg.camera = v->camera;
	v->cfg.state_dir = v->state_dir;
	v->cfg.enrolled = v->enrolled;
	v->cfg.face.model = v->model;
	v->cfg.face.cascade_dir = v->cascade_dir;
	if (v->cfg.face_every < 1)
		v->cfg.face_every = 1;
	if (v->cfg.verify_timeout_s <= 0)
		v->cfg.verify_timeout_s = DEFAULT_VERIFY_TIMEOUT_S;
	v->q = q;
	v->wake = wake;
	v->wake_ud = wake_ud;
	v->nfaces = 0;

	conf.backoff_min = cfg->backoff_min;
	conf.backoff_max = cfg->backoff_max;
	/* a live camera may be unplugged at start: then it is "lost" at once */
	conf.allow_absent = cfg->ops == NULL && strncmp(v->camera, "v4l2:", 5) == 0;
	if ((v->cam = camera_sup_open(v->role, v->camera, cfg->ops, cfg->realtime, &conf,
	    err, errlen)) == NULL)
		goto fail;
	c = camera_sup_camera(v->cam);
	v->live = c != NULL ? c->live : 1;
	v->cfg.face.recognizer_optional = 1;   /* a broken model: no unlock, gestures still */
	if ((v->face = face_open(&v->cfg.face, err, errlen)) == NULL ||
	    (v->hand = hand_new(&v->cfg.hand, err, errlen)) == NULL)
		goto fail;
	v->threshold = face_threshold(v->face);
	if (*v->enrolled != '\0' && !face_name_valid(v->enrolled)) {
		snprintf(err, errlen, "private_face \"%s\": not a valid name", v->enrolled);
		goto fail;
	}
	reload_person(v);
	if (c != NULL)
		log_info("camera %s: %s, %dx%d%s", v->role, v->camera, c->w, c->h,
		    face_uses_net(v->face) ? "" : " (faces: cascade)");
	return v;
fail:
	vision_free(v);
	return NULL;
}

int
vision_start(struct vision *v)
{
	return worker_start(&v->thr, vision_main, v);
}

void
vision_stop(struct vision *v)
{
	if (v != NULL)
		worker_stop(&v->thr);
}

void
vision_free(struct vision *v)
{
	if (v == NULL)
		return;
	vision_stop(v);
	camera_sup_close(v->cam);
	face_close(v->face);
	hand_free(v->hand);
	face_person_free(v->person);
	cv_image_free(&v->im);
	cv_image_free(&v->crop);
	cv_image_free(&v->eyes);
	cv_image_free(&v->snap_im);
	face_guide_clear(&v->guide);
	free(v->snap);
	pthread_mutex_destroy(&v->snap_lock);
	free(v->role);
	free(v->camera);
	free(v->state_dir);
	free(v->enrolled);
	free(v->model);
	free(v->cascade_dir);
	free(v->lat_hist);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void
vision_verify(struct vision *v)
{
	atomic_fetch_add(&v->verify_req, 1);
}

void
vision_enroll(struct vision *v, const char *name)
{
	pthread_mutex_lock(&v->lock);
	snprintf(v->enroll_want, sizeof v->enroll_want, "%s", name);
	pthread_mutex_unlock(&v->lock);
	atomic_fetch_add(&v->enroll_req, 1);
}

void
vision_enroll_cancel(struct vision *v)
{
	atomic_fetch_add(&v->cancel_req, 1);
}

int
vision_snapshot(struct vision *v, struct vision_snapshot *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&v->snap_lock);
	if (v->snap != NULL) {
		out->jpeg = v->snap;
		out->len = v->snap_len;
		out->w = v->snap_w;
		out->h = v->snap_h;
		out->t = v->snap_t;
		out->challenge = v->snap_step == FACE_LIVE_CHALLENGE;
		out->verifying = v->snap_verifying;
		v->snap = NULL;
	}
	pthread_mutex_unlock(&v->snap_lock);
	return out->jpeg != NULL;
}

void
vision_set_private(struct vision *v, int private_mode)
{
	atomic_store(&v->private_req, private_mode ? 1 : 0);
}

void
vision_want_snapshot(struct vision *v)
{
	atomic_store(&v->snap_wanted, 1);
}

void
vision_stats(struct vision *v, struct vision_stats *out)
{
	uint64_t want, seen = 0;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&v->lock);
	out->frames = v->frames;
	out->face_runs = v->face_runs;
	out->inputs = v->inputs;
	out->w = v->w;
	out->h = v->h;
	if (v->frames > 0) {
		out->lat_min_ms = v->lat_min;
		out->lat_avg_ms = v->lat_sum / v->frames;
		out->lat_max_ms = v->lat_max;
		out->hand_avg_ms = v->hand_sum / v->frames;
		if (v->frames > 1 && v->wall_last > v->wall_first)
			out->fps = (v->frames - 1) / (v->wall_last - v->wall_first);
		want = (v->frames * 95 + 99) / 100;
		for (size_t i = 0; i < LAT_BINS; i++)
			if ((seen += v->lat_hist[i]) >= want) {
				out->lat_p95_ms = (i + 1) * LAT_BIN_MS;
				break;
			}
		if (out->lat_p95_ms > out->lat_max_ms)
			out->lat_p95_ms = out->lat_max_ms;
	}
	if (v->face_runs > 0)
		out->face_avg_ms = v->face_sum / v->face_runs;
	pthread_mutex_unlock(&v->lock);
}
