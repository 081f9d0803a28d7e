/*
 * mic-watch — reads a microphone through the supervised reader
 * (mic_sup_*, as the daemon's listener does) and prints what happens, one
 * line each, stamped with CLOCK_MONOTONIC seconds (base/clock), so another
 * process on the same machine can line its own events up with them:
 *
 *   mic-watch [-s SECONDS] SPEC          (alsa:hw:CARD=Loopback,DEV=1, portaudio, ...)
 *
 *   open T MS SPEC      MS: how long the first open took
 *   audio T N RMS       each second: samples read in it, and their RMS
 *   lost T REASON
 *   back T GAP          GAP: the seconds the stream counted as gone
 *   end T LOSSES
 *
 * Runs for SECONDS (default 10) or until SIGINT/SIGTERM; exits 0, or 1 when
 * the source cannot be opened at all.  tests/tools/mic-vm runs it in a VM
 * while a sound card is unbound and bound again; it is as useful by hand
 * with a USB microphone pulled out and plugged back.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "devices/mic.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	double seconds = 10, t0, tick, sum = 0;
	struct mic_sup_conf conf = { .allow_absent = 1 };
	struct mic_sup *s;
	int16_t buf[1600];
	char err[512];
	size_t n = 0;
	int c;

	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c == 's')
			seconds = atof(optarg);
		else {
			fprintf(stderr, "usage: mic-watch [-s SECONDS] SPEC\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: mic-watch [-s SECONDS] SPEC\n");
		return 2;
	}
	log_init(-1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = clock_mono();
	if ((s = mic_sup_open(argv[optind], NULL, 1, &conf, err, sizeof err)) == NULL) {
		fprintf(stderr, "mic-watch: %s\n", err);
		return 1;
	}
	printf("open %.3f %.1f %s\n", clock_mono(), (clock_mono() - t0) * 1000, argv[optind]);
	tick = clock_mono() + 1;
	while (!stop && clock_mono() - t0 < seconds) {
		ssize_t r = mic_sup_read(s, buf, sizeof buf / sizeof buf[0], err, sizeof err);
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				sum += (double)buf[i] * buf[i];
			n += (size_t)r;
		} else if (r == MIC_SUP_LOST)
			printf("lost %.3f %s\n", clock_mono(), err);
		else if (r == MIC_SUP_BACK)
			printf("back %.3f %.2f\n", clock_mono(), mic_sup_gap(s));
		else if (r == MIC_SUP_END)
			break;
		if (clock_mono() >= tick) {
			printf("audio %.3f %zu %.0f\n", clock_mono(), n, n ? sqrt(sum / n) : 0.0);
			n = 0;
			sum = 0;
			tick += 1;
		}
	}
	printf("end %.3f %u\n", clock_mono(), mic_sup_losses(s));
	mic_sup_close(s);
	return 0;
}
