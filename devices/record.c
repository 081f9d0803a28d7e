/*
 * record — the --record DIR writer (record.h): a growing WAV file for the
 * microphone and a numbered JPEG folder with a frames.tsv per camera role.
 */
#include "devices/record.h"
#include "devices/cv_video.h"
#include "base/sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rec_role {
	char     name[32];
	int      tsv;         /* frames.tsv */
	uint64_t n;
};

struct record {
	char             dir[1024];
	pthread_mutex_t  amu;          /* audio */
	int              wav;          /* audio.wav, -1 before the first samples */
	uint64_t         samples, unsynced;
	int              afailed;
	char             aerr[1200];
	pthread_mutex_t  vmu;          /* frames and roles */
	struct rec_role  roles[RECORD_MAX_ROLES];
	int              nroles;
};

/* mkdir -p with mode 0700 for what it makes. */
static int
mkdirs(const char *dir, char *err, size_t errlen)
{
	char p[1024];
	struct stat st;

	if (strlen(dir) >= sizeof p) {
		snprintf(err, errlen, "%.60s...: path too long", dir);
		return -1;
	}
	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (sysio_mkdir(p, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a folder", dir);
		return -1;
	}
	return 0;
}

/* A new file with mode 0600 that must not exist yet; its descriptor, or
 * -1 with err. */
static int
create_file(const char *path, char *err, size_t errlen)
{
	int fd = sysio_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, errno == EEXIST ?
		    "already there (an earlier recording?): not mixing" : strerror(errno));
	return fd;
}

struct record *
record_open(const char *dir, char *err, size_t errlen)
{
	struct record *r;
	char p[1100];

	if (dir == NULL || *dir == '\0') {
		snprintf(err, errlen, "record: no folder given");
		return NULL;
	}
	if (strlen(dir) >= sizeof r->dir - 48) {
		snprintf(err, errlen, "%.60s...: path too long", dir);
		return NULL;
	}
	if (mkdirs(dir, err, errlen) < 0)
		return NULL;
	snprintf(p, sizeof p, "%s/audio.wav", dir);
	if (access(p, F_OK) == 0) {
		snprintf(err, errlen, "%s: already there (an earlier recording?): not mixing", p);
		return NULL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	r->wav = -1;
	pthread_mutex_init(&r->amu, NULL);
	pthread_mutex_init(&r->vmu, NULL);
	return r;
}

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

/* Writes the 44-byte header for `samples` samples at the start of fd (the
 * samples are appended at its end), then makes header and samples durable:
 * a crash or power cut leaves a file that plays up to here.  -1 with errno
 * and *step the call that failed. */
static int
wav_header(int fd, uint64_t samples, const char **step)
{
	uint8_t h[44];
	uint32_t bytes = (uint32_t)(samples * 2);

	memcpy(h, "RIFF", 4);
	le32(h + 4, 36 + bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1);            /* PCM */
	le16(h + 22, 1);            /* mono */
	le32(h + 24, 16000);
	le32(h + 28, 16000 * 2);
	le16(h + 32, 2);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, bytes);
	*step = "write";
	if (sysio_pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	*step = "fdatasync";
	return sysio_fdatasync(fd);
}

int
record_audio(struct record *r, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
	char p[1100];
	const char *step = "write";
	int rc = -1;

	pthread_mutex_lock(&r->amu);
	if (r->afailed) {
		snprintf(err, errlen, "%s", r->aerr);
		goto out;
	}
	if (r->wav < 0) {
		snprintf(p, sizeof p, "%s/audio.wav", r->dir);
		if ((r->wav = create_file(p, r->aerr, sizeof r->aerr)) < 0)
			goto fail;
		/* The samples are appended after the header; the new file's
		 * name must survive a power cut too. */
		if (sysio_write_all(r->wav, (const char[44]){ 0 }, 44) < 0 ||
		    wav_header(r->wav, 0, &step) < 0 || (step = "fsync of the folder",
		    sysio_sync_dir(r->dir) < 0)) {
			snprintf(r->aerr, sizeof r->aerr, "%s: %s: %s", p, step, strerror(errno));
			goto fail;
		}
	}
	/* A RIFF size is 32 bits: about 37 hours at 16 kHz. */
	if ((r->samples + n) * 2 + 36 > UINT32_MAX) {
		snprintf(r->aerr, sizeof r->aerr, "%s/audio.wav: full (4 GiB); audio no longer recorded",
		    r->dir);
		goto fail;
	}
	if (n > 0 && sysio_write_all(r->wav, pcm, n * sizeof *pcm) < 0) {
		snprintf(r->aerr, sizeof r->aerr, "%s/audio.wav: write: %s", r->dir, strerror(errno));
		goto fail;
	}
	r->samples += n;
	r->unsynced += n;
	if (r->unsynced >= RECORD_WAV_SYNC_SAMPLES) {
		r->unsynced = 0;
		if (wav_header(r->wav, r->samples, &step) < 0) {
			snprintf(r->aerr, sizeof r->aerr, "%s/audio.wav: %s: %s", r->dir, step,
			    strerror(errno));
			goto fail;
		}
	}
	rc = 0;
	goto out;
fail:
	r->afailed = 1;
	snprintf(err, errlen, "%s", r->aerr);
out:
	pthread_mutex_unlock(&r->amu);
	return rc;
}

static int
valid_role(const char *role)
{
	size_t n = 0;

	for (const char *s = role; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return n > 0 && n < 32;
}

/* The role's folder and frames.tsv, made at its first frame (vmu held). */
static struct rec_role *
get_role(struct record *r, const char *role, char *err, size_t errlen)
{
	struct rec_role *ro;
	char p[1200];

	for (int i = 0; i < r->nroles; i++)
		if (strcmp(r->roles[i].name, role) == 0)
			return &r->roles[i];
	if (r->nroles == RECORD_MAX_ROLES) {
		snprintf(err, errlen, "record: more than %d camera roles", RECORD_MAX_ROLES);
		return NULL;
	}
	snprintf(p, sizeof p, "%s/%s", r->dir, role);
	if (sysio_mkdir(p, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return NULL;
	}
	ro = &r->roles[r->nroles];
	snprintf(p, sizeof p, "%s/%s/frames.tsv", r->dir, role);
	if ((ro->tsv = create_file(p, err, errlen)) < 0)
		return NULL;
	snprintf(ro->name, sizeof ro->name, "%s", role);
	ro->n = 0;
	r->nroles++;
	return ro;
}

int
record_frame(struct record *r, const char *role, const struct cv_image *im, double t,
    char *err, size_t errlen)
{
	struct rec_role *ro;
	char tmp[1300], path[1300], name[32], line[64];
	uint8_t *jpg = NULL;
	size_t len = 0;
	int fd, n, rc = -1;

	if (role == NULL || !valid_role(role)) {
		snprintf(err, errlen, "record: camera role \"%s\" is not [a-z0-9_-]{1,31}",
		    role ? role : "(null)");
		return -1;
	}
	/* Encoding is the slow part; it needs no lock.  The frame is not
	 * fsync'd (30 a second would stall the camera thread): a crash of the
	 * process leaves whole frames, a power cut may lose the last ones. */
	if (cv_image_encode(im, ".jpg", RECORD_JPEG_QUALITY, &jpg, &len, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&r->vmu);
	if ((ro = get_role(r, role, err, errlen)) == NULL)
		goto out;
	snprintf(name, sizeof name, "%06llu.jpg", (unsigned long long)ro->n);
	snprintf(tmp, sizeof tmp, "%s/%s/.%s.tmp", r->dir, role, name);
	snprintf(path, sizeof path, "%s/%s/%s", r->dir, role, name);
	if ((fd = sysio_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (sysio_write_all(fd, jpg, len) < 0) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		sysio_close(fd);
		sysio_unlink(tmp);
		goto out;
	}
	if (sysio_close(fd) < 0 || sysio_rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		sysio_unlink(tmp);
		goto out;
	}
	/* The line once its frame is whole; one write, so a line is whole
	 * or (the disk full) missing. */
	n = snprintf(line, sizeof line, "%s\t%.6f\n", name, t);
	if (sysio_write_all(ro->tsv, line, (size_t)n) < 0) {
		snprintf(err, errlen, "%s/%s/frames.tsv: write: %s", r->dir, role, strerror(errno));
		goto out;
	}
	ro->n++;
	rc = 0;
out:
	pthread_mutex_unlock(&r->vmu);
	free(jpg);
	return rc;
}

uint64_t
record_frames(struct record *r, const char *role)
{
	uint64_t n = 0;

	pthread_mutex_lock(&r->vmu);
	for (int i = 0; i < r->nroles; i++)
		if (strcmp(r->roles[i].name, role) == 0)
			n = r->roles[i].n;
	pthread_mutex_unlock(&r->vmu);
	return n;
}

uint64_t
record_samples(struct record *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->amu);
	n = r->samples;
	pthread_mutex_unlock(&r->amu);
	return n;
}

int
record_close(struct record *r, char *err, size_t errlen)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->wav >= 0) {
		const char *step;
		if (wav_header(r->wav, r->samples, &step) < 0) {
			snprintf(err, errlen, "%s/audio.wav: %s: %s", r->dir, step, strerror(errno));
			rc = -1;
		}
		if (sysio_close(r->wav) != 0 && rc == 0) {
			snprintf(err, errlen, "%s/audio.wav: close: %s", r->dir, strerror(errno));
			rc = -1;
		}
	}
	for (int i = 0; i < r->nroles; i++)
		if ((sysio_fsync(r->roles[i].tsv) | sysio_close(r->roles[i].tsv)) != 0 && rc == 0) {
			snprintf(err, errlen, "%s/%s/frames.tsv: %s", r->dir, r->roles[i].name,
			    strerror(errno));
			rc = -1;
		}
	if (rc == 0 && r->afailed) {
		snprintf(err, errlen, "%s", r->aerr);
		rc = -1;
	}
	pthread_mutex_destroy(&r->amu);
	pthread_mutex_destroy(&r->vmu);
	free(r);
	return rc;
}
