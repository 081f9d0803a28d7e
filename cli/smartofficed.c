/*
 * smartofficed — the command line: options, the configuration, then either
 * a subcommand (tokens, face, mqtt, admin) or the daemon itself (daemon/main.c's
 * daemon_run).  The one folder above daemon/: nothing includes cli/.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/xalloc.h"
#include "cli/admin_cli.h"
#include "cli/face_cli.h"
#include "models/face.h"
#include "cli/tokens_cli.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "ui-bridge/mqtt_setup.h"

#define VERSION "0.1.0"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: smartofficed [options]\n"
	    "       smartofficed [options] tokens list|add|rename|revoke ...  (paired devices)\n"
	    "       smartofficed [options] admin status|audit|command|demo|snapshot ...  (the running daemon)\n"
	    "       smartofficed [options] face enroll|verify ...      (enrolled faces)\n"
	    "       smartofficed [options] mqtt setup ...              (broker files, docs/mqtt.md)\n"
	    "\n"
	    "Listens for \"Hey Seoul\" and a spoken screen name, and pushes navigation\n"
	    "events to dashboards over websockets (ws://ADDRESS:PORT/ws; pages at /).\n"
	    "\n"
	    "  -c, --config PATH      configuration file (default: none; see smartofficed.conf)\n"
	    "  -n                     check the configuration, catalogue, office file,\n"
	    "                         device specs and broker address, print\n"
	    "                         \"configuration OK\" and exit\n"
	    "      --audio-file PATH  replay a WAV file instead of the microphone\n"
	    "      --video-file PATH  replay a video file (or a folder of frames) as the room\n"
	    "                         camera; alone, it is the only input (no audio)\n"
	    "      --shelf-video-file PATH  replay a video (or a folder of frames) as the\n"
	    "                         bookshelf camera (docs/shelf.md)\n"
	    "      --record DIR       save what the microphone and cameras capture into DIR\n"
	    "      --events-file PATH replay scripted input events (JSON lines: cursor,\n"
	    "                         engage, disengage, face, door; see docs/protocol.md)\n"
	    "      --no-realtime      replay as fast as possible (stream time stays exact)\n"
	    "      --events-stdout    also print every event as one JSON line on stdout\n"
	    "      --exit-at-eof      exit 0 once the audio ends and every event is sent\n"
	    "      --port N           websocket/web port (default 7681)\n"
	    "      --address ADDR     listen address (default 127.0.0.1)\n"
	    "      --state-dir DIR    what the daemon keeps between runs\n"
	    "  -o, --set NAME=VALUE   set any configuration option\n"
	    "      --print-config     print the configuration in effect and exit\n"
	    "      --dump-grammar DIR write the generated grammars and dictionary to DIR\n"
	    "      --defaults         with --print-config: the defaults, commented out\n"
	    "  -v, --verbose          debug messages\n"
	    "  -q, --quiet            warnings and errors only\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n"
	    "\n"
	    "Signals: SIGHUP reloads the configuration and catalogue (clients stay\n"
	    "connected); SIGINT and SIGTERM stop the daemon.  See smartofficed(8).\n");
}

/* `smartofficed [options] tokens|face|mqtt|admin ...`: the configuration's state
 * directory, then the subcommand's own parser. */
static int
subcommand(struct daemon *d, int argc, char **argv)
{
	char base[600];

	if (!strcmp(argv[0], "tokens")) {
		if (d->cfg.public_url[0])
			snprintf(base, sizeof base, "%s", d->cfg.public_url);
		else
			snprintf(base, sizeof base, "%s://%s:%d", d->cfg.tls_cert[0] ? "https" : "http",
			    d->cfg.address, d->cfg.port);
		if (daemon_ensure_state_dir(d->cfg.state_dir) < 0) {
			log_warn("state directory %s", d->cfg.state_dir);
			return 1;
		}
		return tokens_cli(argc, argv, d->cfg.state_dir, base);
	}
	if (!strcmp(argv[0], "face")) {
		struct face_cli_config fc = { d->cfg.state_dir, d->cfg.face_model, d->cfg.face_cascade_dir,
		    d->cfg.face_threshold, d->cfg.face_min_score,
		    face_descriptor_parse(d->cfg.face_descriptor), d->cfg.face_embed_model,
		    d->cfg.face_landmark_model };
		if (daemon_ensure_state_dir(d->cfg.state_dir) < 0) {
			log_warn("state directory %s", d->cfg.state_dir);
			return 1;
		}
		return face_cli(argc, argv, &fc);
	}
	if (!strcmp(argv[0], "mqtt"))
		return mqtt_setup_cli(argc, argv, d->cfg.site);
	if (!strcmp(argv[0], "admin"))
		return admin_cli(argc, argv, d->cfg.state_dir);
	fprintf(stderr, "smartofficed: unknown command \"%s\" (commands: tokens, face, mqtt, admin)\n", argv[0]);
	return 2;
}

int
main(int argc, char **argv)
{
	enum { O_AUDIO = 256, O_NORT, O_EVSTDOUT, O_EXITEOF, O_PORT, O_ADDR, O_STATE, O_PRINT, O_DEFAULTS, O_DUMP,
	    O_VIDEO, O_RECORD, O_EVENTS, O_SHELF_VIDEO };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "audio-file", required_argument, NULL, O_AUDIO },
		{ "video-file", required_argument, NULL, O_VIDEO },
		{ "shelf-video-file", required_argument, NULL, O_SHELF_VIDEO },
		{ "record", required_argument, NULL, O_RECORD },
		{ "events-file", required_argument, NULL, O_EVENTS },
		{ "no-realtime", no_argument, NULL, O_NORT },
		{ "events-stdout", no_argument, NULL, O_EVSTDOUT },
		{ "exit-at-eof", no_argument, NULL, O_EXITEOF },
		{ "port", required_argument, NULL, O_PORT },
		{ "address", required_argument, NULL, O_ADDR },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "set", required_argument, NULL, 'o' },
		{ "print-config", no_argument, NULL, O_PRINT },
		{ "defaults", no_argument, NULL, O_DEFAULTS },
		{ "dump-grammar", required_argument, NULL, O_DUMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon dd;
	struct daemon *d = &dd;
	struct daemon_run_options ro = { .realtime = 1 };
	int print = 0, defaults = 0, verbosity = 0, ch, nerr;

	d->exit_code = 0;
	config_defaults(&d->cfg);
	/* "+": options end at the first word, a command's own arguments follow. */
	while ((ch = getopt_long(argc, argv, "+c:no:vqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': d->config_path = optarg; break;
		case 'n': ro.check = 1; break;
		case O_AUDIO: ro.audio_file = optarg; break;
		case O_NORT: ro.realtime = 0; break;
		case O_EVENTS: ro.events_path = optarg; break;
		case O_EVSTDOUT: d->events_stdout = 1; break;
		case O_EXITEOF: d->exit_at_eof = 1; break;
		case O_PORT:
		case O_ADDR:
		case O_STATE:
		case O_VIDEO:
		case O_SHELF_VIDEO:
		case O_RECORD:
		case 'o':
			if (d->nsets == (int)(sizeof d->sets / sizeof d->sets[0])) {
				fprintf(stderr, "smartofficed: too many options\n");
				return 2;
			}
			ro.video_cli |= ch == O_VIDEO || ch == O_SHELF_VIDEO;
			if (ch == 'o')
				d->sets[d->nsets++] = xstrdup(optarg);
			else {
				const char *name = ch == O_PORT ? "port" : ch == O_ADDR ? "address" :
				    ch == O_VIDEO ? "camera_room" : ch == O_SHELF_VIDEO ? "camera_shelf" :
				    ch == O_RECORD ? "record_dir" : "state_dir";
				/* --video-file: a video, or a folder of frames. */
				struct stat vst;
				const char *kind = ch != O_VIDEO && ch != O_SHELF_VIDEO ? "" :
				    stat(optarg, &vst) == 0 && S_ISDIR(vst.st_mode) ? "images:" : "file:";
				size_t len = strlen(name) + strlen(kind) + strlen(optarg) + 2;
				d->sets[d->nsets] = xmalloc(len);
				snprintf(d->sets[d->nsets++], len, "%s=%s%s", name, kind, optarg);
			}
			break;
		case O_PRINT: print = 1; break;
		case O_DEFAULTS: defaults = 1; break;
		case O_DUMP: ro.dump_dir = optarg; break;
		case 'v': verbosity = 1; d->verbosity_set = 1; break;
		case 'q': verbosity = -1; d->verbosity_set = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("smartofficed %s\n", VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "tokens") && strcmp(argv[optind], "face") &&
	    strcmp(argv[optind], "mqtt") && strcmp(argv[optind], "admin")) {
		fprintf(stderr, "smartofficed: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (print && defaults) {
		config_print_defaults(stdout);
		goto out;
	}
	log_init(verbosity);

	/* Configuration: defaults, then the file, then the command line. */
	config_free(&d->cfg);
	if ((nerr = daemon_read_config(d, &d->cfg, stderr)) > 0) {
		fprintf(stderr, "smartofficed: %d configuration error%s\n", nerr, nerr > 1 ? "s" : "");
		d->exit_code = 1;
		goto out;
	}
	if (!d->verbosity_set)
		daemon_apply_log_level(&d->cfg);
	if (print) {
		config_print(&d->cfg, stdout);
		goto out;
	}
	if (optind < argc) {
		d->exit_code = subcommand(d, argc - optind, argv + optind);
		goto out;
	}
	d->exit_code = daemon_run(d, &ro);
out:
	config_free(&d->cfg);
	for (int i = 0; i < d->nsets; i++)
		free(d->sets[i]);
	return d->exit_code;
}
