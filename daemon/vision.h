/*
 * vision — the camera thread: camera → faces + hand tracker → input queue.
 *
 * One thread per camera role.  It owns the camera (devices/camera.h), the
 * face detector and recognizer (models/face.h) and the hand tracker
 * (models/hand.h), and nothing else: what it finds is copied into the queue
 * (daemon/queue.h) and the service thread is woken, as the listener does.
 *
 * Per frame: faces are detected on every face_every-th frame (the boxes are
 * kept in between; BlazeFace's short-range model misses small faces, so a
 * known face is looked for in a window around it, and an unknown one in
 * tiles of the frame, one per frame, see detect() in vision.c); the
 * largest face is taken as the user and given to the hand tracker, whose events become IN_GESTURE ("engage", "cursor" with
 * x, y and the state "move"/"press"/"release", "disengage" with why).
 *
 * Faces (IN_FACE), only for the one enrolled name of the config:
 *  - vision_verify(): the largest face of each detected frame is compared
 *    with the enrolled person and fed, with its eye state, to the liveness
 *    machine (face_live_feed); only FACE_LIVE_VERIFIED gives "verified"
 *    (text = the name): never one frame, never a still photo.  Not passed
 *    within verify_timeout_s of stream time, the stream ended, or the
 *    camera gone: "failed" (text = why).
 *  - vision_set_private(1): every VISION_PRIVATE_EVERY frames the faces
 *    are recognized.  The enrolled face not matched for absent_s: "absent"
 *    (once).  A face that does not match, beside the enrolled one, away
 *    from where it was last seen, or at its place while the enrolled face
 *    has not matched for VISION_UNKNOWN_SAME_SPOT_S, for
 *    VISION_UNKNOWN_CHECKS checks in a row: "unknown" (once per episode;
 *    an episode ends at a check without such a face).
 *
 * Enrollment (IN_ENROLL): vision_enroll() below.
 *
 * Camera (IN_CAMERA, id = role): "lost" (text = what went wrong) and "back"
 * for a live camera, which is reopened with back-off while the thread keeps
 * running; stream times after "back" continue from before the loss, so t
 * never goes back.  A replay that fails is not reopened (it would start
 * over): "lost" then "end".  A replay that ends: "end", and the thread
 * returns.
 *
 * t of every input is the camera's stream time in seconds.
 */
#ifndef SO_VISION_H
#define SO_VISION_H

#include <stddef.h>
#include <stdint.h>

#include "devices/camera.h"
#include "models/face.h"
#include "models/hand.h"

#define VISION_PRIVATE_EVERY        5     /* frames between recognitions in private mode */
#define VISION_UNKNOWN_CHECKS       3     /* checks in a row with an unknown face */
#define VISION_UNKNOWN_SAME_SPOT_S  3.0   /* a non-matching face where the user was */
#define VISION_MAX_FACES            4     /* largest faces recognized per check */
#define VISION_SNAPSHOT_S           0.2   /* preview: stream time between snapshots */
#define VISION_SNAPSHOT_W           320   /* ... its width (never wider than the frame) */
#define VISION_SNAPSHOT_QUALITY     70    /* ... its JPEG quality */

struct queue;
struct record;
struct vision;

struct vision_config {
	const char *role;             /* "room" */
	const char *camera;           /* camera spec: file:PATH, images:DIR[@FPS], v4l2:... */
	int         realtime;         /* pace replays to the clock */
	struct face_config face;      /* detector + recognizer (threshold: match distance) */
	struct face_live_config live;
	struct hand_config hand;
	const char *state_dir;        /* enrolled faces */
	const char *enrolled;         /* the name whose face unlocks private mode ("" = nobody:
	                               * every verification fails) */
	double      absent_s;         /* private: enrolled face gone this long → "absent" */
	double      verify_timeout_s; /* verification not passed by then → "failed" */
	int         face_every;       /* detect faces on every Nth frame (1 = all; 0 = 1) */
	struct record *rec;           /* NULL, or record every frame */
	/* Tests: a camera row of their own (then `camera` is its argument),
	 * and the back-off of the supervised reader (0 = camera.h's). */
	const struct camera_ops *ops;
	double      backoff_min, backoff_max;
};

/* What `make bench` prints and the daemon logs at exit.  Latency is from
 * the frame read (camera_sup_read returned it) to the frame's inputs
 * queued (all processing done), for every frame whether it gave an input
 * or not. */
struct vision_stats {
	uint64_t frames;              /* processed */
	double   fps;                 /* frames / wall time from the first to the last frame */
	double   lat_min_ms, lat_avg_ms, lat_p95_ms, lat_max_ms;
	uint64_t face_runs;           /* frames on which faces were detected */
	double   face_avg_ms;         /* detection (+ recognition) per such frame */
	double   hand_avg_ms;         /* hand_feed per frame */
	uint64_t inputs;              /* pushed to the queue */
	int      w, h;                /* size of the last frame */
};

/* Opens the camera and loads the face detector, the enrolled person (a
 * missing enrollment is logged: verifications then fail) and the hand
 * tracker; NULL with err (naming the camera spec or file) on failure. */
struct vision *vision_new(const struct vision_config *cfg, struct queue *q,
                          void (*wake)(void *), void *wake_ud, char *err, size_t errlen);
/* Starts the thread; -1 when it cannot be created. */
int  vision_start(struct vision *v);
/* Asks the thread to stop and joins it (at most one frame's work later). */
void vision_stop(struct vision *v);
/* Stops (if running) and frees; NULL is fine. */
void vision_free(struct vision *v);
/* Service thread: the user asked for private mode: start a liveness
 * verification of the enrolled face (the enrollment is reloaded, so a
 * `face enroll` done meanwhile counts).  Again while one runs: ignored. */
void vision_verify(struct vision *v);
/* The preview of a running verification, handed over to the service
 * thread: the newest snapshot not taken yet (the vision thread replaces
 * an older one, so a slow taker skips frames, never queues them). */
struct vision_snapshot {
	uint8_t *jpeg;      /* malloc'd, the caller frees it */
	size_t   len;
	int      w, h;
	double   t;         /* stream time of the frame */
	int      challenge; /* the face matched: the blink/turn challenge runs */
	int      verifying; /* made for a running verification (else on request) */
};
/* Service thread: 1 and *out filled when a snapshot was waiting, else 0.
 * Snapshots are made while a verification runs, every VISION_SNAPSHOT_S
 * of stream time, and once after each vision_want_snapshot. */
int  vision_snapshot(struct vision *v, struct vision_snapshot *out);
/* Any thread: one snapshot of the next frame, verification or not (the
 * admin page's camera view); vision_snapshot hands it over. */
void vision_want_snapshot(struct vision *v);
/* Any thread: a guided enrollment of NAME (face_name_valid) from the next
 * frames (models/face_guide.h: five poses, up to FACE_GUIDE_POSE_S of
 * stream time each): faces are detected on every frame, at the whole
 * frame, while it runs; each step is an IN_ENROLL input (started, pose,
 * progress, skipped, then done or failed).  At the end the kept frames
 * are enrolled into the state dir (face_enroll; a camera replay that ends
 * enrolls what it has when the straight pose has its frames), and NAME's
 * face reloaded when it is the enrolled name.  Refused (IN_ENROLL failed)
 * while an enrollment or a verification runs; a verification asked for
 * while one runs fails ("a face enrollment is running").  The camera gone
 * or its replay failed: failed. */
void vision_enroll(struct vision *v, const char *name);
/* Any thread: stop a running enrollment (failed, "cancelled"; nothing
 * written). */
void vision_enroll_cancel(struct vision *v);
/* Service thread: private mode on (watch for absence and unknown faces)
 * or off. */
void vision_set_private(struct vision *v, int private_mode);
/* Any thread: the figures so far. */
void vision_stats(struct vision *v, struct vision_stats *out);

#endif
