/*
 * fuzz_shelf — the bookshelf's inputs that are not images: the door sensor
 * specs (devices/door.c: door_parse_spec, and the gpio row's CHIP:LINE
 * reading up to opening a chip that is not there) and the shelf model's
 * decisions on any stream of markers and door changes (models/shelf.c:
 * shelf_observe, no image).  The books section of the catalogue is fuzzed
 * by fuzz_catalogue (its corpus has catalogues with books).
 *
 * Input: the first byte picks the part.  0: the rest is a door spec.
 * Otherwise the rest is records of 6 bytes: id (0..63; 63 toggles the door),
 * x, y (0..255, times 4 pixels), side (0..255 px), dt (0..255 ms), and a
 * flag (bit 0: the marker is not seen this frame).
 *
 * Invariants: a refused spec has a message; every event is about a marker
 * of the dictionary, a take only of a book that was on the shelf and a
 * return only of one that was taken, each turning its state over; no more
 * events than asked for are written.
 */
#include "tests/fuzz/fuzz.h"

#include "devices/door.h"
#include "models/shelf.h"

static void
door_spec(const uint8_t *data, size_t size)
{
	char spec[256], err[256] = "";
	const struct door_ops *ops;
	const char *arg;
	size_t n = size < sizeof spec - 1 ? size : sizeof spec - 1;

	memcpy(spec, data, n);
	spec[n] = '\0';
	if (door_parse_spec(spec, &ops, &arg, err, sizeof err) < 0) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	/* The gpio row reads CHIP:LINE before it opens anything; names with a
	 * '/' could name real files, so only plain chip names are opened. */
	if (ops == &door_gpio_ops && strchr(arg, '/') == NULL && strncmp(arg, "gpiochip", 8) != 0) {
		struct door *d = door_open(spec, err, sizeof err);
		FUZZ_CHECK(d == NULL);
		FUZZ_CHECK(err[0] != '\0');
	}
}

static void
markers(const uint8_t *data, size_t size)
{
	struct shelf_config cfg = shelf_default_config();
	enum shelf_marker_state st[SHELF_NIDS];
	struct shelf_event ev[4];
	struct cv_marker m[CV_ARUCO_MAX];
	struct shelf *s;
	char err[256];
	double t = 0;
	int nm = 0, door = 1;

	if ((s = shelf_new(&cfg, err, sizeof err)) == NULL)
		abort();
	for (int i = 0; i < SHELF_NIDS; i++)
		st[i] = SHELF_UNSEEN;
	for (size_t off = 0; off + 6 <= size; off += 6) {
		const uint8_t *r = data + off;
		int id = r[0] & 63, n;
		if (id == 63) {
			door = !door;
			shelf_set_door(s, t, door);
			continue;
		}
		t += r[4] / 1000.0;
		if (!(r[5] & 1) && nm < CV_ARUCO_MAX) {
			float x = r[1] * 4.0f, y = r[2] * 4.0f, h = (r[3] + 1) / 2.0f;
			struct cv_marker *k = &m[nm++];
			k->id = id;
			k->centre.x = x;
			k->centre.y = y;
			k->side = 2 * h;
			k->corner[0] = (struct cv_point){ x - h, y - h };
			k->corner[1] = (struct cv_point){ x + h, y - h };
			k->corner[2] = (struct cv_point){ x + h, y + h };
			k->corner[3] = (struct cv_point){ x - h, y + h };
		}
		if (!(r[5] & 2))
			continue;       /* more markers for this frame */
		n = shelf_observe(s, NULL, t, m, nm, ev, 4);
		FUZZ_CHECK(n >= 0 && n <= 4);
		for (int i = 0; i < n; i++) {
			int k = ev[i].marker;
			FUZZ_CHECK(k >= 0 && k < SHELF_NIDS);
			if (ev[i].type == SHELF_TAKEN) {
				FUZZ_CHECK(st[k] == SHELF_ON);
				FUZZ_CHECK(door);
			} else {
				FUZZ_CHECK(st[k] == SHELF_GONE);
			}
		}
		for (int i = 0; i < SHELF_NIDS; i++)
			st[i] = shelf_marker(s, i, NULL);
		nm = 0;
	}
	shelf_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0)
		door_spec(data + 1, size - 1);
	else
		markers(data + 1, size - 1);
	return 0;
}
