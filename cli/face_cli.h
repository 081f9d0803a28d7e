/*
 * face_cli — `smartofficed [--state-dir DIR] face ...`: enrollment and
 * checks from the command line (contract in docs/faces.md).
 */
#ifndef SO_FACE_CLI_H
#define SO_FACE_CLI_H

struct face_cli_config {
	const char *state_dir;    /* enrolled faces in STATE_DIR/faces/ */
	const char *model;        /* BlazeFace ONNX file (missing: cascade) */
	const char *cascade_dir;  /* /usr/share/opencv4 */
	double      threshold;    /* match when distance <= threshold (0: the descriptor's) */
	double      min_score;    /* detection score threshold */
	int         descriptor;   /* enum face_descriptor: 0 embedding, 1 lbp */
	const char *embed_model;  /* the embedding's weights manifest (NULL: default) */
	const char *landmark_model;  /* the 68 landmarks' manifest (NULL: beside the
	                              * embedding's, the eye cascade when missing);
	                              * given: missing or broken is an error */
};

/* Runs `face SUBCOMMAND ...` (argv[0] == "face"); returns the exit status:
 * 0 done, 1 an image or the store failed, 2 usage error. */
int face_cli(int argc, char **argv, const struct face_cli_config *cfg);

#endif
