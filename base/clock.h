/*
 * clock — the one monotonic clock of the daemon, in seconds, and sleeps
 * on it.  Stream times (audio samples, video frames) are not this clock:
 * they come from the streams; this is for deadlines, pacing and latency.
 */
#ifndef SO_CLOCK_H
#define SO_CLOCK_H

/* CLOCK_MONOTONIC in seconds (an arbitrary origin, the same for every thread). */
double clock_mono(void);
/* Sleeps for s seconds (nothing when s <= 0), resumed after a signal. */
void   clock_sleep(double s);
/* Sleeps until clock_mono() reaches t. */
void   clock_sleep_until(double t);

#endif
