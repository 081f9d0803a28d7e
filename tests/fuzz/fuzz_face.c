/*
 * fuzz_face — an enrolled face, STATE_DIR/faces/NAME.face (models/face.c:
 * face_person_load, what private mode verifies against).
 *
 * The store is "smartoffice-face V N DIM ..." and N descriptors of DIM
 * floats (version 2 also names the descriptor that made them).
 * Invariants: a refused file has a message and is not "missing" (it is
 * there); an accepted LBP one is compared with an aligned crop
 * (face_person_distance, the LBP descriptor's) without fault, whatever
 * floats the file holds (NaN, infinities, negatives); an accepted embedding
 * one is refused by that comparison with a message, never a fault (it
 * needs the network, which the daemon's face_person_match brings).
 */
#include "tests/fuzz/fuzz.h"

#include "devices/cv.h"
#include "models/face.h"

static char state[512], file[700];
static struct cv_image crop;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char faces[600];

	(void)argc; (void)argv;
	snprintf(state, sizeof state, "%s", fuzz_path("state"));
	snprintf(faces, sizeof faces, "%s/faces", state);
	snprintf(file, sizeof file, "%s/fuzz.face", faces);
	FUZZ_CHECK(mkdir(state, 0700) == 0 && mkdir(faces, 0700) == 0);
	/* A grey crop with some texture for the descriptor. */
	FUZZ_CHECK(cv_image_alloc(&crop, FACE_CROP_W, FACE_CROP_H, 1) == 0);
	for (int y = 0; y < crop.h; y++)
		for (int x = 0; x < crop.w; x++)
			crop.data[(size_t)y * crop.stride + x] = (uint8_t)(x * 7 + y * 13 + (x * y) % 17);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	struct face_person *p;
	double dist = -1;
	int missing = -1;

	fuzz_write(file, data, size, 0600);
	err[0] = '\0';
	p = face_person_load(state, "fuzz", &missing, err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(p != NULL, err);
	if (p == NULL) {
		FUZZ_CHECK(err[0] != '\0' && missing == 0);
		return 0;
	}
	if (face_person_descriptor(p) == FACE_DESC_LBP)
		FUZZ_CHECK(face_person_distance(p, &crop, &dist, err, sizeof err) == 0);
	else {
		err[0] = '\0';
		if (face_person_distance(p, &crop, &dist, err, sizeof err) != 0)
			FUZZ_CHECK(err[0] != '\0');
	}
	face_person_free(p);
	return 0;
}
