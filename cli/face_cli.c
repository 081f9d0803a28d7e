/*
 * face_cli — `face enroll` and `face verify` (face_cli.h, docs/faces.md).
 */
#include "cli/face_cli.h"
#include "devices/camera.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/face.h"
#include "models/face_guide.h"

static const char usage[] =
    "usage: smartofficed [--state-dir DIR] face enroll --name NAME IMAGE...\n"
    "       smartofficed [--state-dir DIR] face enroll --name NAME --camera SPEC\n"
    "       smartofficed [--state-dir DIR] face verify --name NAME IMAGE...\n"
    "\n"
    "enroll  replaces NAME's enrolled face with one learnt from the IMAGEs (each\n"
    "        must show a face; nothing is written if one does not); prints\n"
    "        {\"enrolled\":NAME,\"images\":N}.\n"
    "verify  prints one line per IMAGE, path as given:\n"
    "        {\"image\":PATH,\"face\":true|false,\"match\":true|false,\"score\":S}\n"
    "        S is the distance to NAME's enrolled face (lower = more alike; -1\n"
    "        without a face); match when S <= face_threshold.  An image that\n"
    "        cannot be read gives {\"image\":PATH,\"error\":REASON}.\n"
    "--camera SPEC (v4l2:/dev/video0, images:DIR, file:VIDEO) guides the person\n"
    "        through five poses (straight, left, right, up, down; up to 8 s\n"
    "        each) and keeps up to 3 frames of each, 0.3 s apart; at least 3\n"
    "        straight ones are needed.  Prints {\"enrolled\":NAME,\"images\":N,\n"
    "        \"poses\":{...},\"descriptor\":D}.\n"
    "The descriptor (face_descriptor: embedding or lbp) is recorded with the\n"
    "enrollment; verifying with the other one is refused (enroll again).\n"
    "Exit status: 0 done, 1 an image or the store failed, 2 usage error.\n";

/* Prints one compact JSON object and frees it. */
static void
emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
	fflush(stdout);
}

/* Parses `--name NAME`/`--name=NAME`/`--camera SPEC` then IMAGE...;
 * first image index in *first, or -1 after a usage message. */
static int
parse(int argc, char **argv, const char **name, const char **camera, int *first)
{
	int i;

	*name = NULL;
	*camera = NULL;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			*first = -2;
			return 0;
		}
		if (strcmp(a, "--name") == 0 || strcmp(a, "--camera") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "face %s: %s needs a value\n", argv[1], a);
				return -1;
			}
			*(a[2] == 'n' ? name : camera) = argv[++i];
		} else if (strncmp(a, "--name=", 7) == 0)
			*name = a + 7;
		else if (strncmp(a, "--camera=", 9) == 0)
			*camera = a + 9;
		else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "face %s: unknown option %s\n", argv[1], a);
			return -1;
		} else
			break;
	}
	*first = i;
	if (*name == NULL) {
		fprintf(stderr, "face %s: --name NAME is required\n", argv[1]);
		return -1;
	}
	if (!face_name_valid(*name)) {
		fprintf(stderr, "face %s: \"%s\" is not a valid name (1-63 characters of "
		    "A-Z a-z 0-9 _ . -, not starting with '.')\n", argv[1], *name);
		return -1;
	}
	if (*camera && argv[1][0] != 'e') {
		fprintf(stderr, "face %s: --camera is for enroll; verify takes image files\n",
		    argv[1]);
		return -1;
	}
	if (*camera && i < argc) {
		fprintf(stderr, "face %s: --camera or image files, not both\n", argv[1]);
		return -1;
	}
	if (*camera)
		return 0;
	if (i >= argc) {
		fprintf(stderr, "face %s: no images given\n", argv[1]);
		return -1;
	}
	return 0;
}

static struct face_ctx *
open_ctx(const struct face_cli_config *cfg)
{
	struct face_config fc = { 0 };
	struct face_ctx *ctx;
	char err[1024];

	fc.model = cfg->model ? cfg->model : FACE_DEFAULT_MODEL;
	fc.cascade_dir = cfg->cascade_dir;
	fc.min_score = cfg->min_score > 0 ? cfg->min_score : FACE_DEFAULT_MIN_SCORE;
	fc.threshold = cfg->threshold > 0 ? cfg->threshold : 0;   /* 0: the descriptor's */
	fc.descriptor = cfg->descriptor;
	fc.embed_model = cfg->embed_model;
	fc.landmark_model = cfg->landmark_model;
	fc.landmark_required = cfg->landmark_model != NULL;
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL)
		fprintf(stderr, "face: %s\n", err);
	return ctx;
}

/*
 * enroll --camera SPEC: a guided enrollment (models/face_guide.h: the
 * poses, the frames kept, the time per pose), said on stderr.  A replay
 * (images:DIR, file:VIDEO) runs the same steps on its frames.
 */
static int
cmd_enroll_camera(const char *name, const char *spec, const struct face_cli_config *cfg)
{
	struct cv_image frame = { 0 };
	struct face_det det[2];
	struct face_guide g = { 0 };
	struct face_ctx *ctx;
	struct camera *cam;
	char err[512];
	double t = 0;
	int r = 1, rc = 1, n;
	unsigned ev = 0;
	json_t *o, *jp;

	if ((ctx = open_ctx(cfg)) == NULL)
		return 1;
	/* Live cameras are paced by themselves; a replay need not wait. */
	if ((cam = camera_open("enroll", spec, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "face enroll: %s\n", err);
		face_close(ctx);
		return 1;
	}
	face_guide_start(&g);
	fprintf(stderr, "face enroll: %s (%s)\n", face_guide_pose_say(0), spec);
	while (!(ev & (FACE_GUIDE_DONE | FACE_GUIDE_FAILED)) &&
	    (r = camera_read(cam, &frame, &t, err, sizeof err)) == 1) {
		n = face_guide_wants(&g, t) ? face_detect(ctx, &frame, det, 2, err, sizeof err) : -1;
		ev = face_guide_feed(&g, t, &frame, det, n);
		if (ev & FACE_GUIDE_SKIPPED)
			fprintf(stderr, "face enroll: no %s pose seen in %.0f s; skipping it\n",
			    face_guide_pose_name(g.skipped), FACE_GUIDE_POSE_S);
		if (ev & FACE_GUIDE_POSE)
			fprintf(stderr, "face enroll: %s\n", face_guide_pose_say(g.pose));
		if (ev & FACE_GUIDE_KEPT)
			fprintf(stderr, "face enroll: %s %d of %d at %.1f s\n", face_guide_pose_name(g.pose),
			    g.got[g.pose], FACE_GUIDE_PER_POSE, t);
	}
	if (!(ev & (FACE_GUIDE_DONE | FACE_GUIDE_FAILED)))
		ev = face_guide_end(&g);
	for (int q = 0; q < FACE_GUIDE_POSES; q++)
		if (g.skipped_at_end & (1u << q))
			fprintf(stderr, "face enroll: no %s pose seen before the camera's end; "
			    "skipping it\n", face_guide_pose_name(q));
	if (r == -1)
		fprintf(stderr, "face enroll: %s: %s\n", spec, err);
	if (ev & FACE_GUIDE_FAILED) {
		face_guide_why(&g, err, sizeof err);
		fprintf(stderr, "face enroll: %s: %s\n", spec, err);
	} else if (face_enroll(ctx, cfg->state_dir, name, g.ims, g.n, err, sizeof err) == -1)
		fprintf(stderr, "face enroll: %s\n", err);
	else {
		o = json_object();
		jp = json_object();
		json_object_set_new(o, "enrolled", json_string(name));
		json_object_set_new(o, "images", json_integer(g.n));
		for (int i = 0; i < FACE_GUIDE_POSES; i++)
			json_object_set_new(jp, face_guide_pose_name(i), json_integer(g.got[i]));
		json_object_set_new(o, "poses", jp);
		json_object_set_new(o, "descriptor",
		    json_string(face_descriptor_name(face_descriptor_of(ctx))));
		emit(o);
		rc = 0;
	}
	face_guide_clear(&g);
	cv_image_free(&frame);
	camera_close(cam);
	face_close(ctx);
	return rc;
}

static int
cmd_enroll(int argc, char **argv, const char *name, int first,
    const struct face_cli_config *cfg)
{
	struct face_ctx *ctx;
	struct cv_image *ims;
	int n = argc - first, i, rc = 1;
	char err[512];

	if ((ims = calloc((size_t)n, sizeof *ims)) == NULL) {
		fprintf(stderr, "face enroll: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (cv_face_read_image(argv[first + i], &ims[i], err, sizeof err) == -1) {
			fprintf(stderr, "face enroll: %s\n", err);
			goto out;
		}
	if ((ctx = open_ctx(cfg)) == NULL)
		goto out;
	if (face_enroll(ctx, cfg->state_dir, name, ims, n, err, sizeof err) == -1) {
		/* "image K: ..." -> name the file */
		int k;
		const char *rest;
		if (sscanf(err, "image %d:", &k) == 1 && k >= 1 && k <= n &&
		    (rest = strchr(err, ':')) != NULL)
			fprintf(stderr, "face enroll: %s:%s\n", argv[first + k - 1], rest + 1);
		else
			fprintf(stderr, "face enroll: %s\n", err);
	} else {
		json_t *o = json_object();
		json_object_set_new(o, "enrolled", json_string(name));
		json_object_set_new(o, "images", json_integer(n));
		json_object_set_new(o, "descriptor",
		    json_string(face_descriptor_name(face_descriptor_of(ctx))));
		emit(o);
		rc = 0;
	}
	face_close(ctx);
out:
	for (i = 0; i < n; i++)
		cv_image_free(&ims[i]);
	free(ims);
	return rc;
}

static int
cmd_verify(int argc, char **argv, const char *name, int first,
    const struct face_cli_config *cfg)
{
	struct face_ctx *ctx;
	struct face_person *p;
	int i, missing, rc = 0;
	char err[512];

	if ((p = face_person_load(cfg->state_dir, name, &missing, err, sizeof err)) == NULL) {
		fprintf(stderr, "face verify: %s\n", err);
		return 1;
	}
	if ((ctx = open_ctx(cfg)) == NULL) {
		face_person_free(p);
		return 1;
	}
	if (face_person_usable(ctx, p, err, sizeof err) == -1) {
		fprintf(stderr, "face verify: %s: %s\n", name, err);
		face_close(ctx);
		face_person_free(p);
		return 1;
	}
	for (i = first; i < argc; i++) {
		struct cv_image im;
		struct face_verdict v;
		json_t *o = json_object();

		json_object_set_new(o, "image", json_string(argv[i]));
		if (cv_face_read_image(argv[i], &im, err, sizeof err) == -1 ||
		    face_person_verify(ctx, p, &im, &v, err, sizeof err) == -1) {
			const char *why = strncmp(err, argv[i], strlen(argv[i])) == 0 ?
			    err + strlen(argv[i]) + 2 : err;
			json_object_set_new(o, "error", json_string(why));
			fprintf(stderr, "face verify: %s\n", err);
			rc = 1;
		} else {
			json_object_set_new(o, "face", json_boolean(v.face));
			json_object_set_new(o, "match", json_boolean(v.match));
			json_object_set_new(o, "score", v.face ?
			    json_real((double)(long long)(v.score * 1000 + 0.5) / 1000) :
			    json_integer(-1));
		}
		cv_image_free(&im);
		emit(o);
	}
	face_close(ctx);
	face_person_free(p);
	return rc;
}

int
face_cli(int argc, char **argv, const struct face_cli_config *cfg)
{
	const char *name, *camera;
	int first;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "enroll") != 0 && strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "face: unknown command \"%s\"\n%s", argv[1], usage);
		return 2;
	}
	if (parse(argc, argv, &name, &camera, &first) == -1)
		return 2;
	if (first == -2)
		return 0;
	if (argv[1][0] == 'e' && camera != NULL)
		return cmd_enroll_camera(name, camera, cfg);
	if (argv[1][0] == 'e')
		return cmd_enroll(argc, argv, name, first, cfg);
	return cmd_verify(argc, argv, name, first, cfg);
}
