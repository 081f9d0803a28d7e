/*
 * face_guide — the guided enrollment's poses and kept frames (face_guide.h).
 */
#include "models/face_guide.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name, *say;
	int yaw, pitch;        /* wanted sign of the change from straight */
} poses[FACE_GUIDE_POSES] = {
	{ "straight", "look straight at the camera", 0, 0 },
	{ "left", "now slowly turn your head to your left", 1, 0 },
	{ "right", "now to your right", -1, 0 },
	{ "up", "look straight, then tilt your head up a little", 0, -1 },
	{ "down", "now down a little", 0, 1 },
};

const char *
face_guide_pose_name(int p)
{
	return p >= 0 && p < FACE_GUIDE_POSES ? poses[p].name : NULL;
}

const char *
face_guide_pose_say(int p)
{
	return p >= 0 && p < FACE_GUIDE_POSES ? poses[p].say : NULL;
}

/* 1 when d shows pose p relative to the straight pose (yaw0, pitch0):
 * straight is |yaw| < 0.08 on its own; a turn is ≥ 0.10 to that side with
 * the pitch within 0.15; a tilt ≥ 0.06 with the yaw within 0.08. */
static int
in_pose(int p, const struct face_det *d, double yaw0, double pitch0)
{
	double dy = face_yaw(d) - yaw0, dp = face_pitch(d) - pitch0;

	if (poses[p].yaw == 0 && poses[p].pitch == 0)
		return fabs(face_yaw(d)) < 0.08;
	if (poses[p].yaw != 0)
		return dy * poses[p].yaw >= 0.10 && fabs(dp) < 0.15;
	return dp * poses[p].pitch >= 0.06 && fabs(dy) < 0.08;
}

void
face_guide_clear(struct face_guide *g)
{
	for (int i = 0; i < g->n; i++)
		cv_image_free(&g->ims[i]);
	g->n = 0;
}

void
face_guide_start(struct face_guide *g)
{
	face_guide_clear(g);
	memset(g, 0, sizeof *g);
	g->t_pose = -1;
	g->t_kept = -1e9;
}

int
face_guide_wants(const struct face_guide *g, double t)
{
	return !g->over && t - g->t_kept >= FACE_GUIDE_GAP_S;
}

/* Copies frame into the next kept slot; -1 when it cannot be allocated. */
static int
keep(struct face_guide *g, const struct cv_image *frame)
{
	struct cv_image *im = &g->ims[g->n];

	if (g->n >= FACE_GUIDE_MAX_FRAMES || cv_image_alloc(im, frame->w, frame->h, frame->channels) < 0)
		return -1;
	for (int y = 0; y < frame->h; y++)
		memcpy(im->data + (size_t)y * im->stride, frame->data + (size_t)y * frame->stride,
		    (size_t)frame->w * frame->channels);
	g->n++;
	return 0;
}

unsigned
face_guide_feed(struct face_guide *g, double t, const struct cv_image *frame,
    const struct face_det *det, int ndet)
{
	unsigned ev = 0;
	int p = g->pose;

	if (g->over)
		return 0;
	if (g->t_pose < 0)
		g->t_pose = t;
	/* The pose's time is up, or it has its frames: the next one (checked
	 * at the frame after the last kept one, as a person hears it). */
	if (t - g->t_pose > FACE_GUIDE_POSE_S || g->got[p] == FACE_GUIDE_PER_POSE) {
		if (g->got[p] == 0) {
			ev |= FACE_GUIDE_SKIPPED;
			g->skipped = p;
		}
		if (p == 0 && g->got[0] < FACE_GUIDE_MIN_FRONT) {
			g->over = 1;
			return ev | FACE_GUIDE_FAILED;
		}
		if (++g->pose == FACE_GUIDE_POSES) {
			g->over = 1;
			return ev | FACE_GUIDE_DONE;
		}
		p = g->pose;
		ev |= FACE_GUIDE_POSE;
		g->t_pose = t;
	}
	if (ndet != 1 || t - g->t_kept < FACE_GUIDE_GAP_S || !in_pose(p, &det[0], g->yaw0, g->pitch0) ||
	    keep(g, frame) < 0)
		return ev;
	if (p == 0) {        /* the straight pose: the mean of its frames */
		int k = g->got[0];
		g->yaw0 = (g->yaw0 * k + face_yaw(&det[0])) / (k + 1);
		g->pitch0 = (g->pitch0 * k + face_pitch(&det[0])) / (k + 1);
	}
	g->got[p]++;
	g->t_kept = t;
	return ev | FACE_GUIDE_KEPT;
}

unsigned
face_guide_end(struct face_guide *g)
{
	if (g->over)
		return 0;
	g->over = 1;
	g->skipped_at_end = 0;
	if (g->got[0] < FACE_GUIDE_MIN_FRONT)
		return FACE_GUIDE_FAILED;
	for (int q = g->pose; q < FACE_GUIDE_POSES; q++)
		if (g->got[q] == 0)
			g->skipped_at_end |= 1u << q;
	return FACE_GUIDE_DONE;
}

void
face_guide_why(const struct face_guide *g, char *buf, size_t len)
{
	snprintf(buf, len, "only %d frame%s looking straight with one face; at least %d are needed",
	    g->got[0], g->got[0] == 1 ? "" : "s", FACE_GUIDE_MIN_FRONT);
}
