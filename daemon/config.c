#include "daemon/config.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_type { T_STRING, T_INT, T_DOUBLE, T_BOOL, T_ENUM };

struct option_row {
	const char   *name;
	enum opt_type type;
	size_t        offset;
	double        min, max;     /* T_INT, T_DOUBLE */
	const char   *def;          /* default, as text */
	const char   *choices;      /* T_ENUM: "a|b|c" */
	const char   *doc;
	int           may_be_empty; /* T_STRING: "" is a value */
	unsigned      flags;        /* OPT_* below (the table at the end of the file) */
};

/*
 * What a row is beyond its value.  Most options are read once, when a
 * thread, a device or the socket is made; a SIGHUP reload keeps their
 * running value (config_keep_restart_only) and says which changed ones
 * wait for a restart.  OPT_LIVE rows are applied by a reload.  (No row
 * holds a secret to mask: credentials are read from the files the rows
 * name, mqtt_password_file and tls_key.)
 */
#define OPT_LIVE   0x1

static const struct { const char *name; unsigned flags; } row_flags[] = {
	{ "catalogue",             OPT_LIVE },   /* swapped in by reload() */
	{ "private_unlock",        OPT_LIVE },
	{ "log_level",             OPT_LIVE },
	{ "public_url",            OPT_LIVE },   /* pairing links, read when shown */
	{ "face_verify_timeout_s", OPT_LIVE },   /* the remote's confirmation deadline */
};

#define F(field) offsetof(struct config, field)

static struct option_row rows[] = {
	{ "address", T_STRING, F(address), 0, 0, "127.0.0.1", NULL,
	  "Address the websocket and web server listens on" },
	{ "port", T_INT, F(port), 0, 65535, "7681", NULL,
	  "TCP port of the websocket (/ws) and web (/) server; 0 picks a free one (logged)" },
	{ "web_root", T_STRING, F(web_root), 0, 0, "@DATA@/web", NULL,
	  "Folder of the pages served at /" },
	{ "ws_ring", T_INT, F(ws_ring), 8, 65536, "256", NULL,
	  "Messages the broadcast ring holds; a client further behind is dropped" },
	{ "ws_max_message", T_INT, F(ws_max_message), 256, 16777216, "65536", NULL,
	  "Largest message a client may send, in bytes" },
	{ "ws_max_clients", T_INT, F(ws_max_clients), 0, 1000000, "0", NULL,
	  "Websocket clients in all (0: as many as the open-file limit leaves room for, less 64 kept for files and devices)" },
	{ "ws_max_per_address", T_INT, F(ws_max_per_address), 1, 1000000, "64", NULL,
	  "Websocket clients from one address (loopback is not counted)" },
	{ "ws_hello_s", T_DOUBLE, F(ws_hello_s), 1, 3600, "10", NULL,
	  "A client that has not said hello this long is the first to go when a limit is reached" },
	{ "ws_ping_s", T_DOUBLE, F(ws_ping_s), 0, 3600, "30", NULL,
	  "A silent client is pinged after this many seconds (0: never)" },
	{ "ws_idle_s", T_DOUBLE, F(ws_idle_s), 0, 86400, "75", NULL,
	  "A client silent this long is closed (0: never; keep it above ws_ping_s)" },
	{ "allowed_origins", T_STRING, F(allowed_origins), 0, 0, "self", NULL,
	  "Web pages (Origin headers) whose browsers may connect: self (the daemon's own pages), origins like http://host:8080, or *; space separated" },
	{ "ws_rate", T_DOUBLE, F(ws_rate), 0, 100000, "20", NULL,
	  "Messages per second one client may send (0: no limit); more are dropped with rate-limited" },
	{ "ws_burst", T_DOUBLE, F(ws_burst), 1, 100000, "40", NULL,
	  "Messages a client may send at once above ws_rate" },
	{ "js_root", T_STRING, F(js_root), 0, 0, "@DATA@/js", NULL,
	  "Folder of the JS client (smartoffice.js), served at /js/" },
	{ "pdfjs_dir", T_STRING, F(pdfjs_dir), 0, 0, "@DATA@/pdfjs", NULL,
	  "pdf.js build folder (npm pdfjs-dist), served at /vendor/pdfjs/", 1 },
	{ "documents_dir", T_STRING, F(documents_dir), 0, 0, "@DATA@/documents", NULL,
	  "PDFs for the viewer: public/ (briefing materials) and private/ (documents for approval, trusted clients only)", 1 },
	{ "office", T_STRING, F(office), 0, 0, "@DATA@/office.json", NULL,
	  "The office's conference rooms and department contacts (docs/conference.md); empty: none", 1 },
	{ "briefing_dir", T_STRING, F(briefing_dir), 0, 0, "@DATA@/briefing", NULL,
	  "Folder of reporting materials (PDFs) the smart TV shows, served at /briefing/ to trusted clients only (docs/conference.md)", 1 },
	{ "public_url", T_STRING, F(public_url), 0, 0, "", NULL,
	  "Address of this daemon as devices in the room reach it, for pairing links and QR codes (empty: http://ADDRESS:PORT)", 1 },
	{ "tls_cert", T_STRING, F(tls_cert), 0, 0, "", NULL,
	  "PEM certificate (with its chain) for https:// and wss:// on the same port (docs/install.md); empty: plain HTTP", 1 },
	{ "tls_key", T_STRING, F(tls_key), 0, 0, "", NULL,
	  "PEM private key of tls_cert (readable by the daemon only)", 1 },
	{ "pair_code_ttl", T_INT, F(pair_code_ttl), 10, 3600, "120", NULL,
	  "Seconds a pairing code shown on the wall display stays valid" },
	{ "remote_audio_max_s", T_DOUBLE, F(remote_audio_max_s), 1, 60, "10", NULL,
	  "Longest utterance a remote's voice button may stream, in seconds" },
	{ "camera_room", T_STRING, F(camera_room), 0, 0, "", NULL,
	  "Room camera: v4l2:/dev/video0[@WxH][@FPS], file:VIDEO, images:DIR[@FPS]; empty: no camera (no gestures, no face unlock)", 1 },
	{ "camera_shelf", T_STRING, F(camera_shelf), 0, 0, "", NULL,
	  "Bookshelf camera (ArUco markers on the spines, docs/shelf.md): v4l2:/dev/video1[@WxH][@FPS], file:VIDEO, images:DIR[@FPS]; empty: none", 1 },
	{ "shelf_door", T_STRING, F(shelf_door), 0, 0, "", NULL,
	  "Shelf door sensor: gpio:CHIP:LINE[:active-low] (reed switch) or evdev:/dev/input/eventN[:SW_CODE]; empty: none (the door counts as open, or --events-file door lines)", 1 },
	{ "record_dir", T_STRING, F(record_dir), 0, 0, "", NULL,
	  "Save what the microphone and cameras capture into this folder (test data and tuning material); empty: off", 1 },
	{ "private_face", T_STRING, F(private_face), 0, 0, "", NULL,
	  "Enrolled name (smartofficed face enroll --name NAME) whose verified face unlocks private mode", 1 },
	{ "private_confirm", T_ENUM, F(private_confirm), 0, 0, "none", "none|remote",
	  "Second factor after face verification: none, or remote (a paired tablet must confirm)" },
	{ "face_model", T_STRING, F(face_model), 0, 0, "@DATA@/blazeface/face_detection_front_128x128_barracuda.onnx", NULL,
	  "BlazeFace ONNX face detector (missing: OpenCV's cascades)", 1 },
	{ "face_cascade_dir", T_STRING, F(face_cascade_dir), 0, 0, "/usr/share/opencv4", NULL,
	  "Folder with haarcascades/ and lbpcascades/ (fallback detector, eye check)" },
	{ "face_min_score", T_DOUBLE, F(face_min_score), 0, 1, "0.5", NULL,
	  "Face detection score threshold" },
	{ "face_descriptor", T_ENUM, F(face_descriptor), 0, 0, "embedding", "embedding|lbp",
	  "Face recognizer: embedding (learned, dlib's ResNet) or lbp (the old histograms); enrollments record theirs" },
	{ "face_embed_model", T_STRING, F(face_embed_model), 0, 0, "@DATA@/facerec/face_recognition_model-weights_manifest.json", NULL,
	  "The embedding's weights (tfjs manifest + shard; tools/fetch-models); missing or corrupt: no face unlock", 1 },
	{ "face_landmark_model", T_STRING, F(face_landmark_model), 0, 0, "@DATA@/facerec/face_landmark_68_tiny_model-weights_manifest.json", NULL,
	  "The 68 landmarks' weights for the blink check (tfjs manifest + shard; tools/fetch-models); missing or corrupt: no face unlock", 1 },
	{ "face_threshold", T_DOUBLE, F(face_threshold), 0, 10000, "0", NULL,
	  "Face match: distance x100 at most this (lower is stricter; 0: the descriptor's, embedding 46, lbp 58.5; see make bench)" },
	{ "face_absent_s", T_DOUBLE, F(face_absent_s), 0.5, 3600, "10", NULL,
	  "Private mode ends when the enrolled face has been gone this long" },
	{ "face_verify_timeout_s", T_DOUBLE, F(face_verify_timeout_s), 1, 600, "15", NULL,
	  "A face verification for private mode that has not passed by then fails" },
	{ "face_every", T_INT, F(face_every), 1, 30, "2", NULL,
	  "Detect faces on every Nth camera frame (hand tracking runs on every frame)" },
	{ "hand_engage_s", T_DOUBLE, F(hand_engage_s), 0.5, 30, "3", NULL,
	  "Right hand held up beside the head this long turns the motion cursor on" },
	{ "hand_disengage_s", T_DOUBLE, F(hand_disengage_s), 0.2, 30, "2", NULL,
	  "Hand down (or face gone) this long turns it off" },
	{ "hand_select", T_ENUM, F(hand_select), 0, 0, "dwell", "dwell|other-hand",
	  "How the cursor clicks: hold still (dwell) or raise the other hand" },
	{ "hand_dwell_s", T_DOUBLE, F(hand_dwell_s), 0.2, 10, "1", NULL,
	  "Dwell select: hold still this long to click" },
	{ "camera_mirrored", T_BOOL, F(camera_mirrored), 0, 0, "no", NULL,
	  "The camera image is mirrored (selfie view)" },
	{ "cursor_min_cutoff", T_DOUBLE, F(cursor_min_cutoff), 0.01, 100, "0.8", NULL,
	  "One Euro filter: minimum cutoff in Hz (lower: less jitter when still)" },
	{ "cursor_beta", T_DOUBLE, F(cursor_beta), 0, 1000, "4", NULL,
	  "One Euro filter: speed coefficient (higher: less lag when moving)" },
	{ "pointer", T_STRING, F(pointer), 0, 0, "off", NULL,
	  "The hand cursor drives a real pointer too: off, uinput (an absolute mouse through /dev/uinput while the cursor is engaged; select clicks), or file:PATH (its events written, for tests); at start only" },
	{ "pointer_width", T_INT, F(pointer_width), 1, 65535, "1920", NULL,
	  "pointer: the screen's width in pixels, which the cursor maps onto" },
	{ "pointer_height", T_INT, F(pointer_height), 1, 65535, "1080", NULL,
	  "pointer: the screen's height in pixels" },
	{ "catalogue", T_STRING, F(catalogue), 0, 0, "@DATA@/catalogue.json", NULL,
	  "The content catalogue: screens, controls and how people say them" },
	{ "state_dir", T_STRING, F(state_dir), 0, 0, "/var/lib/smartoffice", NULL,
	  "What the daemon keeps between runs (paired devices, enrolled faces)" },
	{ "audio", T_STRING, F(audio), 0, 0, "auto", NULL,
	  "Audio input: auto (microphone through ALSA, else the demo), demo, alsa, alsa:PCM, portaudio, portaudio:NAME, file:PATH, or none" },
	{ "demo_audio", T_STRING, F(demo_audio), 0, 0, "@DATA@/demo/session.wav", NULL,
	  "The recorded demo session played when there is no microphone" },
	{ "demo_loop", T_BOOL, F(demo_loop), 0, 0, "yes", NULL,
	  "Play the demo session again and again" },
	{ "demo", T_BOOL, F(demo), 0, 0, "yes", NULL,
	  "The demo session plays when it is the audio (audio = demo, or auto without a microphone); off: nothing is heard. The admin page and smartofficed admin demo on|off switch it while running" },
	{ "demo_pause_s", T_DOUBLE, F(demo_pause_s), 0, 86400, "120", NULL,
	  "The demo session pauses while someone uses a display: for this long after a tap, a remote or typed command, and while a document is open on one (0: never pauses)" },
	{ "engine", T_ENUM, F(engine), 0, 0, "embedding", "embedding|pocketsphinx",
	  "Recognizer: embedding (speech embedding + trained heads) or pocketsphinx (keyword search + grammar, the old engine)" },
	{ "speech_models", T_STRING, F(speech_models), 0, 0, "@DATA@/oww", NULL,
	  "Folder of melspectrogram.onnx and embedding_model.onnx (tools/fetch-models)" },
	{ "speech_heads", T_STRING, F(speech_heads), 0, 0, "@DATA@/heads/heads.json", NULL,
	  "Manifest of the trained speech heads (make models writes it)" },
	{ "wake_threshold", T_DOUBLE, F(wake_threshold), 0, 0.999999, "0", NULL,
	  "Embedding engine: wake head score needed, 0 < t < 1 (0: the threshold chosen in training; higher: fewer false wakes)" },
	{ "hmm", T_STRING, F(hmm), 0, 0, "/usr/share/pocketsphinx/model/en-us/en-us", NULL,
	  "PocketSphinx acoustic model folder" },
	{ "cmudict", T_STRING, F(cmudict), 0, 0, "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", NULL,
	  "Pronunciation dictionary the grammar's words are taken from" },
	{ "kws_threshold", T_DOUBLE, F(kws_threshold), 1e-100, 1, "1e-60", NULL,
	  "First pass: keyword-search threshold (smaller finds more candidates)" },
	{ "wake_rescore", T_BOOL, F(wake_rescore), 0, 0, "yes", NULL,
	  "Second pass: re-score every wake candidate against a phone loop" },
	{ "wake_min_llr", T_DOUBLE, F(wake_min_llr), -1000, 1000, "8", NULL,
	  "Second pass: least per-frame score margin of the wake phrase over everyday words" },
	{ "cmd_min_confidence", T_DOUBLE, F(cmd_min_confidence), 0, 1, "0.5", NULL,
	  "Commands recognized with less confidence are rejected (\"Sorry?\")" },
	{ "end_silence_ms", T_INT, F(end_silence_ms), 50, 2000, "200", NULL,
	  "Silence that ends a command, in milliseconds" },
	{ "cmd_timeout_ms", T_INT, F(cmd_timeout_ms), 500, 60000, "5000", NULL,
	  "How long to wait for a command after the wake phrase" },
	{ "cmd_max_ms", T_INT, F(cmd_max_ms), 1000, 60000, "8000", NULL,
	  "Longest command; longer speech is cut and decided" },
	{ "decoder_args", T_STRING, F(decoder_args), 0, 0, "", NULL,
	  "Extra PocketSphinx decoder arguments, name value pairs (-beam 1e-60 -lw 8)", 1 },
	{ "speak", T_BOOL, F(speak), 0, 0, "yes", NULL,
	  "Say the chosen screen's name through espeak-ng" },
	{ "voice", T_STRING, F(voice), 0, 0, "en-us", NULL,
	  "espeak-ng voice of the spoken feedback" },
	{ "cue", T_BOOL, F(cue), 0, 0, "yes", NULL,
	  "Play a short tone when the wake phrase is heard" },
	{ "self_mute", T_BOOL, F(self_mute), 0, 0, "yes", NULL,
	  "Do not wake on the daemon's own spoken feedback (turn off only to test)" },
	{ "feedback_echo", T_BOOL, F(feedback_echo), 0, 0, "no", NULL,
	  "Mix the spoken feedback into the replayed input, as a loudspeaker would (tests)" },
	{ "private_unlock", T_ENUM, F(private_unlock), 0, 0, "face", "voice|face",
	  "What enters private mode: face (verified face) or voice (the spoken command alone)" },
	{ "log_level", T_ENUM, F(log_level), 0, 0, "info", "warning|info|debug",
	  "Least important messages logged to stderr" },
	{ "mqtt_url", T_STRING, F(mqtt_url), 0, 0, "", NULL,
	  "MQTT broker for other rooms and public viewers: mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; empty: off (docs/mqtt.md)", 1 },
	{ "mqtt_user", T_STRING, F(mqtt_user), 0, 0, "", NULL,
	  "MQTT user name of this daemon (smartofficed mqtt setup makes smartoffice-SITE); empty: anonymous", 1 },
	{ "mqtt_password_file", T_STRING, F(mqtt_password_file), 0, 0, "", NULL,
	  "File whose first line is the MQTT password (mode 0600)", 1 },
	{ "mqtt_cafile", T_STRING, F(mqtt_cafile), 0, 0, "", NULL,
	  "mqtts://: CA certificate(s) that sign the broker's (empty: the system's)", 1 },
	{ "mqtt_certfile", T_STRING, F(mqtt_certfile), 0, 0, "", NULL,
	  "mqtts://: client certificate, when the broker asks for one", 1 },
	{ "mqtt_keyfile", T_STRING, F(mqtt_keyfile), 0, 0, "", NULL,
	  "mqtts://: the client certificate's key", 1 },
	{ "mqtt_tls_insecure", T_BOOL, F(mqtt_tls_insecure), 0, 0, "no", NULL,
	  "mqtts://: do not check the broker's host name against its certificate (tests only)" },
	{ "mqtt_buffer", T_INT, F(mqtt_buffer), 0, 1000000, "1000", NULL,
	  "Trusted messages kept while the broker is away (the oldest go first); public ones are not kept" },
	{ "site", T_STRING, F(site), 0, 0, "office", NULL,
	  "This room's site id on the broker (smartoffice/SITE/..., Hermes siteId): letters, digits, - and _" },
	{ "mqttjs_dir", T_STRING, F(mqttjs_dir), 0, 0, "@DATA@/mqttjs", NULL,
	  "mqtt.js browser build (npm mqtt's dist/), served at /js/mqtt/ for pages that follow a broker", 1 },
	{ "hermes", T_ENUM, F(hermes), 0, 0, "off", "off|public|trusted",
	  "Mirror wake, intent and not-recognized events as Rhasspy Hermes messages (hermes/...): off, the public view, or the trusted one" },
};

#define NROWS (sizeof rows / sizeof rows[0])

/* The data folder: the source tree when the binary runs from build/. */
static const char *
data_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	snprintf(dir, sizeof dir, "%s", SO_DATADIR);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return dir;
	exe[n] = '\0';
	for (int up = 0; up < 3 && (slash = strrchr(exe, '/')) != NULL; up++) {
		*slash = '\0';
		snprintf(probe, sizeof probe, "%s/models/catalogue.json", exe);
		if (access(probe, R_OK) == 0) {
			/* Source tree: catalogue in models/, pages in ui-bridge/web. */
			snprintf(dir, sizeof dir, "%s", exe);
			return dir;
		}
	}
	return dir;
}

static char *
expand_default(const char *def)
{
	char buf[PATH_MAX + 128];
	const char *d = data_dir();
	int tree = strcmp(d, SO_DATADIR) != 0;

	/* Installed name under DATADIR → where the source tree keeps it. */
	static const struct { const char *installed, *tree; } where[] = {
		{ "/web", "/ui-bridge/web" },
		{ "/js", "/ui-bridge/js" },
		{ "/documents", "/ui-bridge/documents" },
		{ "/pdfjs", "/node_modules/pdfjs-dist/build" },
		{ "/mqttjs", "/node_modules/mqtt/dist" },
		{ "/catalogue.json", "/models/catalogue.json" },
		{ "/office.json", "/models/office.json" },
		{ "/briefing", "/ui-bridge/briefing" },
		{ "/blazeface", "/models/blazeface" },
		{ "/facerec", "/models/facerec" },
		{ "/oww", "/models/oww" },
		{ "/heads", "/models/heads" },
		{ "/demo/session.wav", "/devices/demo/session.wav" },
	};

	if (strncmp(def, "@DATA@", 6) != 0)
		return xstrdup(def);
	snprintf(buf, sizeof buf, "%s%s", d, def + 6);
	for (size_t i = 0; tree && i < sizeof where / sizeof where[0]; i++) {
		size_t n = strlen(where[i].installed);
		if (strncmp(def + 6, where[i].installed, n) == 0 &&
		    (def[6 + n] == '\0' || def[6 + n] == '/'))
			snprintf(buf, sizeof buf, "%s%s%s", d, where[i].tree, def + 6 + n);
	}
	return xstrdup(buf);
}

/* Puts row_flags into the table, once. */
static void
init_flags(void)
{
	static int done;

	if (done)
		return;
	for (size_t i = 0; i < sizeof row_flags / sizeof row_flags[0]; i++)
		for (size_t j = 0; j < NROWS; j++)
			if (strcmp(rows[j].name, row_flags[i].name) == 0)
				rows[j].flags |= row_flags[i].flags;
	done = 1;
}

static const struct option_row *
find_row(const char *name)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (p && *p) {
		size_t len = strcspn(p, "|");
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		p += len + (p[len] == '|');
	}
	return 0;
}

/* Applies one row; the value is checked fully before the field changes. */
static int
apply(struct config *c, const struct option_row *r, const char *v, char *err, size_t errlen)
{
	char *base = (char *)c + r->offset, *end;

	switch (r->type) {
	case T_STRING:
	case T_ENUM:
		if (r->type == T_ENUM && !in_choices(r->choices, v)) {
			snprintf(err, errlen, "%s: \"%s\" is not one of %s", r->name, v, r->choices);
			return -1;
		}
		if (*v == '\0' && !r->may_be_empty) {
			snprintf(err, errlen, "%s: needs a value", r->name);
			return -1;
		}
		free(*(char **)base);
		*(char **)base = xstrdup(v);
		return 0;
	case T_INT: {
		long l;
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno || end == v || *end != '\0') {
			snprintf(err, errlen, "%s: \"%s\" is not a whole number", r->name, v);
			return -1;
		}
		if (l < r->min || l > r->max) {
			snprintf(err, errlen, "%s: %ld is out of range %.0f..%.0f", r->name, l, r->min, r->max);
			return -1;
		}
		*(int *)base = (int)l;
		return 0;
	}
	case T_DOUBLE: {
		double d;
		errno = 0;
		d = strtod(v, &end);
		if (errno || end == v || *end != '\0' || !isfinite(d)) {
			snprintf(err, errlen, "%s: \"%s\" is not a number", r->name, v);
			return -1;
		}
		if (d < r->min || d > r->max) {
			snprintf(err, errlen, "%s: %g is out of range %g..%g", r->name, d, r->min, r->max);
			return -1;
		}
		*(double *)base = d;
		return 0;
	}
	case T_BOOL:
		if (parse_bool(v, (int *)base) < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not yes or no", r->name, v);
			return -1;
		}
		return 0;
	}
	return -1;
}

int
config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct option_row *r = find_row(name);

	if (r == NULL) {
		snprintf(err, errlen, "unknown option \"%s\"", name);
		return -1;
	}
	return apply(c, r, value, err, errlen);
}

void
config_defaults(struct config *c)
{
	char err[256];

	init_flags();
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NROWS; i++) {
		char *v = expand_default(rows[i].def);
		if (apply(c, &rows[i], v, err, sizeof err) < 0)
			abort();         /* a bad default is a bug in the table */
		free(v);
	}
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The quote that closes a quoted value v: its last one, when only
 * blanks or a " # comment" follow it. */
static char *
closing_quote(char *v)
{
	char *q = strrchr(v, '"'), *p;

	if (q == NULL || q == v)
		return NULL;
	for (p = q + 1; *p == ' ' || *p == '\t'; p++)
		;
	return *p == '\0' || (*p == '#' && p > q + 1) ? q : NULL;
}

int
config_load(struct config *c, const char *path, FILE *errs)
{
	FILE *f = fopen(path, "r");
	char line[4096], err[512];
	int lineno = 0, nerr = 0;

	if (f == NULL) {
		fprintf(errs, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *s, *eq, *name, *value;
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			int ch;
			fprintf(errs, "%s:%d: line is longer than %zu characters\n", path, lineno, sizeof line - 2);
			nerr++;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			fprintf(errs, "%s:%d: \"%s\": expected name = value\n", path, lineno, s);
			nerr++;
			continue;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		/* A value may be quoted to keep spaces at its ends or a '#'. */
		if (value[0] == '"' && (s = closing_quote(value)) != NULL) {
			*s = '\0';
			value++;
		} else if ((s = strstr(value, " #")) != NULL) {
			*s = '\0';
			value = trim(value);
		}
		if (config_set(c, name, value, err, sizeof err) < 0) {
			fprintf(errs, "%s:%d: %s\n", path, lineno, err);
			nerr++;
		}
	}
	fclose(f);
	return nerr;
}

/* " (min..max)" of a number option; whole numbers for T_INT. */
static void
print_range(FILE *out, const struct option_row *r)
{
	if (r->type == T_INT)
		fprintf(out, " (%.0f..%.0f)", r->min, r->max);
	else if (r->type == T_DOUBLE)
		fprintf(out, " (%g..%g)", r->min, r->max);
	else if (r->type == T_ENUM)
		fprintf(out, " (%s)", r->choices);
}

/* A string value as config_load reads it back: quoted when it has blanks
 * at its ends, a " #" or a leading quote. */
static void
print_string(FILE *out, const char *v)
{
	size_t n = strlen(v);

	if (n > 0 && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]) ||
	    v[0] == '"' || strstr(v, " #") != NULL || strstr(v, "\t#") != NULL))
		fprintf(out, "\"%s\"\n", v);
	else
		fprintf(out, "%s\n", v);
}

/* The shortest %g that reads back as the same double. */
static void
print_double(FILE *out, double d)
{
	char buf[64];

	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fprintf(out, "%s\n", buf);
}

void
config_print(const struct config *c, FILE *out)
{
	fprintf(out, "# smartofficed configuration.  Every option, with its default.\n"
	    "# Syntax: name = value; '#' starts a comment.  See smartofficed(8).\n");
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_row *r = &rows[i];
		const char *base = (const char *)c + r->offset;
		fprintf(out, "\n# %s", r->doc);
		print_range(out, r);
		fprintf(out, "\n%s = ", r->name);
		switch (r->type) {
		case T_STRING:
		case T_ENUM:
			print_string(out, *(char *const *)base);
			break;
		case T_INT:
			fprintf(out, "%d\n", *(const int *)base);
			break;
		case T_DOUBLE:
			print_double(out, *(const double *)base);
			break;
		case T_BOOL:
			fprintf(out, "%s\n", *(const int *)base ? "yes" : "no");
			break;
		}
	}
}

/* Do two configurations agree on a row? */
static int
same_value(const struct option_row *r, const struct config *a, const struct config *b)
{
	const char *pa = (const char *)a + r->offset, *pb = (const char *)b + r->offset;

	switch (r->type) {
	case T_STRING:
	case T_ENUM:
		return strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
	case T_INT:
	case T_BOOL:
		return *(const int *)pa == *(const int *)pb;
	case T_DOUBLE:
		return *(const double *)pa == *(const double *)pb;
	}
	return 1;
}

int
config_keep_restart_only(struct config *next, const struct config *running, char *names, size_t len)
{
	int n = 0;
	size_t used = 0;

	init_flags();
	if (len > 0)
		names[0] = '\0';
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_row *r = &rows[i];
		char *dst = (char *)next + r->offset;
		const char *src = (const char *)running + r->offset;

		if ((r->flags & OPT_LIVE) || same_value(r, next, running))
			continue;
		if (used < len) {
			int w = snprintf(names + used, len - used, "%s%s", n ? ", " : "", r->name);
			used += w > 0 ? (size_t)w : 0;
		}
		n++;
		switch (r->type) {
		case T_STRING:
		case T_ENUM:
			free(*(char **)dst);
			*(char **)dst = xstrdup(*(char *const *)src);
			break;
		case T_INT:
		case T_BOOL:
			*(int *)dst = *(const int *)src;
			break;
		case T_DOUBLE:
			*(double *)dst = *(const double *)src;
			break;
		}
	}
	return n;
}

int
config_is_live(const char *name)
{
	const struct option_row *r;

	init_flags();
	return (r = find_row(name)) != NULL && (r->flags & OPT_LIVE) != 0;
}

void
config_speech(const struct config *c, struct speech_config *sc)
{
	speech_default_config(sc);
	sc->engine = strcmp(c->engine, "pocketsphinx") == 0 ? SPEECH_ENGINE_POCKETSPHINX : SPEECH_ENGINE_EMBEDDING;
	sc->embed_models = c->speech_models;
	sc->heads = c->speech_heads;
	sc->wake_threshold = c->wake_threshold;
	sc->hmm = c->hmm;
	sc->cmudict = c->cmudict;
	sc->kws_threshold = c->kws_threshold;
	sc->wake_rescore = c->wake_rescore;
	sc->wake_min_llr = c->wake_min_llr;
	sc->cmd_min_confidence = c->cmd_min_confidence;
	sc->end_silence_ms = c->end_silence_ms;
	sc->cmd_timeout_ms = c->cmd_timeout_ms;
	sc->cmd_max_ms = c->cmd_max_ms;
	sc->decoder_args = c->decoder_args;
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].type == T_STRING || rows[i].type == T_ENUM) {
			char **p = (char **)((char *)c + rows[i].offset);
			free(*p);
			*p = NULL;
		}
}

void
config_print_defaults(FILE *out)
{
	fprintf(out, "# smartofficed.conf — every option with its default, commented out.\n"
	    "# Syntax: name = value; '#' starts a comment.  A bad line is reported as\n"
	    "# file:line.  `smartofficed -n` checks the file.  See smartofficed(8).\n"
	    "# (Generated by `smartofficed --print-config --defaults`.)\n");
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_row *r = &rows[i];
		fprintf(out, "\n# %s", r->doc);
		print_range(out, r);
		if (strncmp(r->def, "@DATA@", 6) == 0)
			fprintf(out, "\n#%s = %s%s\n", r->name, SO_DATADIR, r->def + 6);
		else
			fprintf(out, "\n#%s = %s\n", r->name, r->def);
	}
}
