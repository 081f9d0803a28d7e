/*
 * face — who is in front of the camera: detection (BlazeFace, Haar/LBP
 * cascade fallback), alignment, recognition against an enrollment store,
 * and the liveness state machine that guards private mode.
 *
 * Owns: the detector and recognizer handles (struct face_ctx, one per
 * thread: OpenCV's network is not shared between threads), the store
 * DIR/faces/ (0700) of enrolled people, one file NAME.face (0600) each.
 * The OpenCV work is in devices/cv_face.cpp; the anchor decoding, NMS,
 * alignment geometry, store and liveness logic are here, in C.
 */
#ifndef SO_FACE_H
#define SO_FACE_H

#include <stddef.h>

#include "devices/cv.h"
#include "devices/cv_face.h"
#include "models/face_embed.h"
#include "models/face_landmarks.h"

/* Keypoints, in BlazeFace's order: "right"/"left" are the subject's. */
enum { FACE_KP_REYE, FACE_KP_LEYE, FACE_KP_NOSE, FACE_KP_MOUTH, FACE_KP_REAR, FACE_KP_LEAR,
       FACE_NKP };

#define FACE_MAX_DETS   16
#define FACE_CROP_W     80      /* aligned grey crop fed to the LBP descriptor */
#define FACE_CROP_H     80
#define FACE_NAME_MAX   64

/* The descriptor rows (config face_descriptor = embedding | lbp): the
 * learned embedding (models/face_embed.c, the default) or the LBP
 * histograms it replaced.  Each enrolled file records which made it. */
enum face_descriptor { FACE_DESC_EMBEDDING, FACE_DESC_LBP, FACE_NDESC };

/* Defaults (config: face_min_score, face_threshold; see docs/faces.md).
 * Scores are distances ×100 for both descriptors (lower = more alike):
 * the embedding's Euclidean distance, LBP's mean chi-square. */
#define FACE_DEFAULT_MIN_SCORE  0.5
#define FACE_DEFAULT_THRESHOLD  FACE_EMBED_THRESHOLD
#define FACE_EMBED_THRESHOLD    46.0
#define FACE_LBP_THRESHOLD      58.5
#define FACE_DEFAULT_MODEL      "models/blazeface/face_detection_front_128x128_barracuda.onnx"
#define FACE_DEFAULT_CASCADES   "/usr/share/opencv4"

struct face_det {
	struct cv_rect  box;             /* image pixels */
	struct cv_point kp[FACE_NKP];    /* image pixels */
	float           score;           /* 0..1 */
	int             estimated;       /* keypoints guessed from a cascade box */
};

struct face_config {
	const char *model;        /* BlazeFace ONNX file; NULL or missing: cascade */
	const char *cascade_dir;  /* holds haarcascades/ and lbpcascades/ */
	double      min_score;    /* detection score threshold, 0..1 */
	double      threshold;    /* match when distance <= threshold; 0: the descriptor's */
	int         threads;      /* OpenCV threads, 0 = OpenCV's default */
	int         descriptor;   /* enum face_descriptor (0: embedding) */
	const char *embed_model;  /* the embedding's tfjs manifest; NULL: FACE_EMBED_DEFAULT_MODEL */
	int         recognizer_optional;  /* 1: a broken embedding model leaves detection
	                                   * running and recognition refusing everyone
	                                   * (face_recognizer_error), instead of failing */
	const char *landmark_model;  /* the 68-landmark tfjs manifest; NULL: the file
	                              * FACE_LM_MODEL_FILE beside the embedding's */
	int         landmark_required;  /* 1 (the daemon's face_landmark_model): a missing
	                                 * or broken landmark model fails as a broken
	                                 * embedding does (recognizer_optional included);
	                                 * 0: the eye cascade does the blink check */
};

struct face_ctx;

/* Loads the detector (the ONNX model, or the cascade when the model file
 * is missing: logged once), the landmark network for the blink check (or,
 * when it is missing or broken, the eye cascade: logged once; with
 * landmark_required, as a broken embedding model fails) and the
 * descriptor.  Fails
 * when neither detector can be loaded, and when the embedding's model is
 * missing or corrupt (never a silent fallback: templates of the other
 * descriptor would not match). */
struct face_ctx *face_open(const struct face_config *cfg, char *err, size_t errlen);
void face_close(struct face_ctx *ctx);
/* 1 when detection uses BlazeFace, 0 when it fell back to the cascade. */
int  face_uses_net(const struct face_ctx *ctx);
/* NULL, or why recognition refuses every face (recognizer_optional). */
const char *face_recognizer_error(const struct face_ctx *ctx);
/* The descriptor in use and the match threshold in force. */
enum face_descriptor face_descriptor_of(const struct face_ctx *ctx);
double face_threshold(const struct face_ctx *ctx);
/* "embedding" / "lbp"; face_descriptor_parse: -1 when neither. */
const char *face_descriptor_name(enum face_descriptor d);
int  face_descriptor_parse(const char *s);

/* The 896 SSD anchor centres (x, y in 0..1 of the net input), in the
 * network's output order: 16×16 cells × 2, then 8×8 cells × 6. */
const float *face_anchors(void);

/* Decodes raw network output into at most `max` detections in image
 * pixels (through lb), scores above min_score, merged by weighted NMS
 * (IoU >= 0.3), best first.  Returns the count.  Pure C, for tests. */
int face_decode(const float *scores, const float *regs, const struct cv_letterbox *lb,
    float min_score, struct face_det *out, int max);

/* Faces in `im`, best first; returns the count (<= max) or -1. */
int face_detect(struct face_ctx *ctx, const struct cv_image *im, struct face_det *out, int max,
    char *err, size_t errlen);

/* The FACE_CROP_W×FACE_CROP_H grey crop of detection d with the eyes level
 * at fixed places (rotation, scale from the eye keypoints). */
int face_align(const struct cv_image *im, const struct face_det *d, struct cv_image *crop,
    char *err, size_t errlen);

/* The embedding's crop of detection d: FACE_EMBED_SIZE² RGB into rgb (rows
 * of FACE_EMBED_SIZE * 3 bytes), the eyes and mouth where dlib's face
 * chips have them. */
int face_align_embed(const struct cv_image *im, const struct face_det *d, uint8_t *rgb,
    char *err, size_t errlen);

/* Yaw proxy: the nose's offset from the eye midpoint along the eye line,
 * in eye distances (about 0 frontal, ± when the head turns). */
double face_yaw(const struct face_det *d);
/* Pitch proxy: the nose below the eye line, in eye distances. */
double face_pitch(const struct face_det *d);

/* The landmark network's crop of detection d: FACE_LM_SIZE² RGB into rgb
 * (rows of FACE_LM_SIZE * 3 bytes), eyes level, the face where the
 * network's training crops had it; m: crop pixel -> image pixel
 * (x = m0 u + m1 v + m2, y = m3 u + m4 v + m5). */
int face_align_landmarks(const struct cv_image *im, const struct face_det *d, uint8_t *rgb,
    double m[6], char *err, size_t errlen);

/* The 68 landmarks of detection d (models/face_landmarks.h), in image
 * pixels; -1 with a reason when the network is not loaded. */
int face_landmarks_det(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float pts[FACE_LM_POINTS][2], char *err, size_t errlen);
/* The mean eye aspect ratio of both eyes of d (-1 when it cannot tell). */
double face_ear(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d);
/* 1 when the blink check uses the landmarks, 0 the eye cascade, -1 none. */
int face_eyes_method(const struct face_ctx *ctx);

/* Eyes open or closed over the frames of one face: the mean eye aspect
 * ratio against the median of the last FACE_BLINK_HIST frames' (the
 * person's own open level: this network's EAR differs more between people
 * than between open and closed).  Closed below FACE_BLINK_RATIO of it
 * (on ORL: 11 of 15 closed-eye images, none of 367 open ones, against the
 * same person's other images; docs/faces.md). */
#define FACE_BLINK_HIST  15
#define FACE_BLINK_RATIO 0.85

struct face_blink {
	float ear[FACE_BLINK_HIST];
	int   n, next;
};

void face_blink_reset(struct face_blink *b);
/* One frame's EAR (< 0: no answer): 1 open, 0 closed, -1 unknown (no EAR,
 * or fewer than 3 earlier frames to compare with). */
int  face_blink_feed(struct face_blink *b, double ear);

/* Whether d's eyes are open: with the landmark network, the EAR through
 * b (face_blink_feed; b NULL: one image alone, closed below
 * FACE_LM_EAR_CLOSED); without it (missing or broken model), 1 when the
 * eye cascade finds an eye in the upper half of d's box, 0 when none; -1
 * when it cannot tell. */
int face_eyes_open(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    struct face_blink *b);

/* ---- enrollment store: STATE_DIR/faces/NAME.face */

/* A name is 1..63 characters of [A-Za-z0-9_.-], not starting with '.'. */
int face_name_valid(const char *name);

/* Enrolls (replaces) NAME from n images, each of which must show a face
 * (the best detection is used).  Nothing is written when one fails. */
int face_enroll(struct face_ctx *ctx, const char *state_dir, const char *name,
    const struct cv_image *ims, int n, char *err, size_t errlen);

struct face_person;

/* The enrolled model of NAME; NULL with *missing = 1 when there is none. */
struct face_person *face_person_load(const char *state_dir, const char *name, int *missing,
    char *err, size_t errlen);
void face_person_free(struct face_person *p);

struct face_verdict {
	int    face;      /* a face was found */
	int    match;     /* ... and its distance is <= the threshold */
	double score;     /* descriptor distance, 0..200 (lower = more alike); -1: no face */
};

/* Compares the best face of `im` with person p. */
int face_person_verify(struct face_ctx *ctx, struct face_person *p, const struct cv_image *im,
    struct face_verdict *v, char *err, size_t errlen);
/* Distance of an aligned crop (face_align: the LBP crop) to p, the
 * smallest to its enrolled crops; p must be an LBP enrollment. */
int face_person_distance(struct face_person *p, const struct cv_image *crop, double *dist,
    char *err, size_t errlen);
/* Distance of detection d in im to p with ctx's descriptor (aligned the
 * way it needs): the smallest to p's templates.  -1 with a reason when p
 * was made by the other descriptor (face_person_usable). */
int face_person_match(struct face_ctx *ctx, struct face_person *p, const struct cv_image *im,
    const struct face_det *d, double *dist, char *err, size_t errlen);
/* The template of detection d in im with ctx's descriptor: face_desc_dim
 * floats into out (for comparing one face with many people: the bench). */
int face_describe_det(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float *out, char *err, size_t errlen);
int face_desc_dim(const struct face_ctx *ctx);
/* The distance of such a template to p (p usable with ctx). */
double face_person_nearest(const struct face_ctx *ctx, const struct face_person *p,
    const float *desc);
/* 0 when p was made by ctx's descriptor; else -1 and a message that says
 * which made it and what to do (re-enroll, or set face_descriptor). */
int face_person_usable(const struct face_ctx *ctx, const struct face_person *p, char *err,
    size_t errlen);
enum face_descriptor face_person_descriptor(const struct face_person *p);
int face_person_count(const struct face_person *p);

/* face_person_load + face_person_verify + free, for one image. */
int face_verify(struct face_ctx *ctx, const char *state_dir, const char *name,
    const struct cv_image *im, struct face_verdict *v, char *err, size_t errlen);

/* ---- liveness: fed per frame, answers "verified live" */

struct face_live_config {
	int    min_matches;    /* matched frames needed (before and after the challenge) */
	double yaw_turn;       /* |yaw - baseline| to count as turned (eye distances) */
	double yaw_back;       /* ... and back within this of the baseline */
	double blink_max_s;    /* eyes closed at most this long to be a blink */
	double lost_s;         /* face gone this long: start again */
	double timeout_s;      /* challenge not passed within this: start again */
};

#define FACE_LIVE_DEFAULTS { 5, 0.12, 0.05, 0.6, 1.0, 15.0 }

enum face_live_state {
	FACE_LIVE_SEARCHING,   /* no enrolled face yet */
	FACE_LIVE_CHALLENGE,   /* matched; waiting for a head turn or blink */
	FACE_LIVE_VERIFIED     /* matched over frames and the challenge passed */
};

struct face_live {
	struct face_live_config c;
	enum face_live_state st;
	int    matches, matches_after;
	double t_last_face, t_start;
	double base_yaw, yaw_sum;
	int    yaw_n;          /* matched frames in yaw_sum */
	int    turned, turn_done;
	int    eyes_prev, open_frames, blink_done;
	double t_closed;
	struct cv_point last_centre;
	double last_width;
	int    have_last;
};

void face_live_init(struct face_live *lv, const struct face_live_config *c);
/* One frame at stream time t: d is the enrolled person's detection or NULL
 * (no face), match whether it matched, eyes_open from face_eyes_open (-1:
 * unknown).  Returns the state after this frame. */
enum face_live_state face_live_feed(struct face_live *lv, double t, const struct face_det *d,
    int match, int eyes_open);

#endif
