/*
 * cv_video — the OpenCV side of devices/cv_video.h: video files, V4L2
 * cameras, image files and the MJPG writer.  Every entry point catches
 * whatever OpenCV throws and turns it into -1 and a reason.
 */
#include "base/log.h"
#include "devices/cv_guard.hpp"
#include "devices/cv_video.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include <cerrno>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct cv_video {
	cv::VideoCapture cap;
	cv::Mat          pending;     /* the first frame, decoded at open */
	bool             has_pending = false;
	bool             live = false;
	std::string      name;
	double           fps = 0;
	long             count = -1;
	int              w = 0, h = 0;
};

struct cv_writer {
	cv::VideoWriter  wr;
	std::string      path;
	int              w = 0, h = 0;
};

/* OpenCV warns on stderr about every backend it tries and fails; our own
 * errors say what went wrong.  OPENCV_LOG_LEVEL, when set, still wins. */
static void
quiet(void)
{
	static std::once_flag once;

	std::call_once(once, [] {
		if (getenv("OPENCV_LOG_LEVEL") == NULL)
			cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
	});
}

#define seterr log_seterr

/* Gives *im the shape w×h×ch, keeping its buffer when it already has it. */
static int
shape(struct cv_image *im, int w, int h, int ch)
{
	if (im->data != NULL && im->w == w && im->h == h && im->channels == ch)
		return 0;
	cv_image_free(im);
	return cv_image_alloc(im, w, h, ch);
}

/* A cv::Mat header over a cv_image, no copy. */
static cv::Mat
view(const struct cv_image *im)
{
	return cv::Mat(im->h, im->w, CV_8UC(im->channels), im->data, im->stride);
}

static int
valid(const struct cv_image *im)
{
	return im != NULL && im->data != NULL && im->w > 0 && im->h > 0 &&
	    (im->channels == 1 || im->channels == 3) && im->stride >= (size_t)im->w * im->channels;
}

/* Copies an 8-bit Mat of 1, 3 or 4 channels into *im as `ch` channels. */
static int
to_image(const cv::Mat &m, int ch, struct cv_image *im, char *err, size_t errlen)
{
	cv::Mat conv;
	const cv::Mat *src = &m;

	if (m.depth() != CV_8U) {
		m.convertTo(conv, CV_MAKETYPE(CV_8U, m.channels()),
		    m.depth() == CV_16U ? 1.0 / 257 : 1.0);
		src = &conv;
	}
	if (src->channels() != ch) {
		cv::Mat c2;
		int code;
		if (ch == 3)
			code = src->channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR;
		else
			code = src->channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY;
		cv::cvtColor(*src, c2, code);
		conv = c2;
		src = &conv;
	}
	if (shape(im, src->cols, src->rows, ch) < 0) {
		seterr(err, errlen, "out of memory for a %dx%d image", src->cols, src->rows);
		return -1;
	}
	src->copyTo(view(im));
	return 0;
}

static void
describe(struct cv_video *v)
{
	double fps = v->cap.get(cv::CAP_PROP_FPS);
	double n = v->cap.get(cv::CAP_PROP_FRAME_COUNT);

	v->fps = std::isfinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
	v->count = !v->live && std::isfinite(n) && n > 0 ? (long)n : -1;
	v->w = (int)v->cap.get(cv::CAP_PROP_FRAME_WIDTH);
	v->h = (int)v->cap.get(cv::CAP_PROP_FRAME_HEIGHT);
}

extern "C" struct cv_video *
cv_video_open_file(const char *path, char *err, size_t errlen)
{
	static const int apis[] = { cv::CAP_FFMPEG, cv::CAP_OPENCV_MJPEG };
	struct stat st;
	cv_video *v = NULL;

	quiet();
	if (stat(path, &st) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	try {
		v = new cv_video;
		v->name = path;
		for (int api : apis) {
			/* OpenCV's own AVI reader prints its parse errors on
			 * stderr: only a fallback when FFmpeg is not there. */
			if (api == cv::CAP_OPENCV_MJPEG && cv::videoio_registry::hasBackend(cv::CAP_FFMPEG))
				continue;
			if (!v->cap.open(path, api))
				continue;
			if (v->cap.read(v->pending) && !v->pending.empty()) {
				v->has_pending = true;
				describe(v);
				if (v->w <= 0 || v->h <= 0) {
					v->w = v->pending.cols;
					v->h = v->pending.rows;
				}
				return v;
			}
			v->cap.release();
		}
		seterr(err, errlen, "%s: not a decodable video (no backend could read a frame)", path);
	} CV_CATCH(err, errlen, "%s", path)
	delete v;
	return NULL;
}

extern "C" struct cv_video *
cv_video_open_v4l2(const char *dev, int w, int h, double fps, char *err, size_t errlen)
{
	cv_video *v = NULL;
	char *end;
	long idx;
	bool ok;

	quiet();
	try {
		v = new cv_video;
		v->name = dev;
		v->live = true;
		idx = strtol(dev, &end, 10);
		if (*dev != '\0' && *end == '\0' && idx >= 0) {
			char node[64];
			snprintf(node, sizeof node, "/dev/video%ld", idx);
			if (access(node, F_OK) < 0) {
				seterr(err, errlen, "camera %s: %s: %s", dev, node, strerror(errno));
				delete v;
				return NULL;
			}
			ok = v->cap.open((int)idx, cv::CAP_V4L2);
		} else {
			if (access(dev, F_OK) < 0) {
				seterr(err, errlen, "%s: %s", dev, strerror(errno));
				delete v;
				return NULL;
			}
			ok = v->cap.open(dev, cv::CAP_V4L2);
		}
		if (!ok) {
			seterr(err, errlen, "%s: cannot open as a V4L2 camera", dev);
			delete v;
			return NULL;
		}
		if (w > 0 && h > 0) {
			v->cap.set(cv::CAP_PROP_FRAME_WIDTH, w);
			v->cap.set(cv::CAP_PROP_FRAME_HEIGHT, h);
		}
		if (fps > 0)
			v->cap.set(cv::CAP_PROP_FPS, fps);
		describe(v);
		return v;
	} CV_CATCH(err, errlen, "%s", dev)
	delete v;
	return NULL;
}

extern "C" int
cv_video_read(struct cv_video *v, struct cv_image *im, char *err, size_t errlen)
{
	try {
		cv::Mat m;
		if (v->has_pending) {
			v->has_pending = false;
			m = v->pending;
			v->pending.release();
		} else if (!v->cap.read(m) || m.empty()) {
			if (!v->live)
				return 0;
			errno = ENODEV;
			seterr(err, errlen, "%s: the camera gave no frame", v->name.c_str());
			return -1;
		}
		return to_image(m, 3, im, err, errlen) < 0 ? -1 : 1;
	} CV_CATCH(err, errlen, "%s", v->name.c_str())
	errno = EIO;
	return -1;
}

extern "C" double
cv_video_fps(const struct cv_video *v)
{
	return v->fps;
}

extern "C" long
cv_video_frame_count(const struct cv_video *v)
{
	return v->count;
}

extern "C" void
cv_video_size(const struct cv_video *v, int *w, int *h)
{
	*w = v->w;
	*h = v->h;
}

extern "C" void
cv_video_close(struct cv_video *v)
{
	if (v == NULL)
		return;
	try {
		v->cap.release();
	} CV_CATCH_QUIET
	delete v;
}

extern "C" int
cv_image_load(const char *path, int channels, struct cv_image *im, char *err, size_t errlen)
{
	struct stat st;

	quiet();
	if (channels != 1 && channels != 3) {
		seterr(err, errlen, "%s: %d channels asked, 1 or 3 expected", path, channels);
		return -1;
	}
	if (stat(path, &st) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	try {
		cv::Mat m = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
		if (m.empty()) {
			seterr(err, errlen, "%s: not a readable image", path);
			return -1;
		}
		return to_image(m, channels, im, err, errlen);
	} CV_CATCH(err, errlen, "%s", path)
	return -1;
}

extern "C" int
cv_image_save(const char *path, const struct cv_image *im, char *err, size_t errlen)
{
	quiet();
	if (!valid(im)) {
		seterr(err, errlen, "%s: no image to write", path);
		return -1;
	}
	try {
		if (cv::imwrite(path, view(im)))
			return 0;
		seterr(err, errlen, "%s: cannot write the image (unknown extension or %s)",
		    path, strerror(errno));
		return -1;
	} CV_CATCH(err, errlen, "%s", path)
	return -1;
}

extern "C" int
cv_image_encode(const struct cv_image *im, const char *ext, int quality,
    uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	if (!valid(im)) {
		seterr(err, errlen, "no image to encode");
		return -1;
	}
	try {
		std::vector<uchar> out;
		std::vector<int> params;
		if (quality > 0 && quality <= 100)
			params = { cv::IMWRITE_JPEG_QUALITY, quality };
		if (!cv::imencode(ext, view(im), out, params) || out.empty()) {
			seterr(err, errlen, "cannot encode an image as %s", ext);
			return -1;
		}
		if ((*buf = (uint8_t *)malloc(out.size())) == NULL) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		memcpy(*buf, out.data(), out.size());
		*len = out.size();
		return 0;
	} CV_CATCH(err, errlen, "encoding as %s", ext)
	return -1;
}

extern "C" int
cv_image_resize(const struct cv_image *src, int w, int h, struct cv_image *dst,
    char *err, size_t errlen)
{
	if (!valid(src) || w <= 0 || h <= 0 || src == dst) {
		seterr(err, errlen, "resize: bad arguments");
		return -1;
	}
	try {
		cv::Mat out;
		int how = (long)w * h < (long)src->w * src->h ? cv::INTER_AREA : cv::INTER_LINEAR;
		cv::resize(view(src), out, cv::Size(w, h), 0, 0, how);
		return to_image(out, src->channels, dst, err, errlen);
	} CV_CATCH(err, errlen, "resize")
	return -1;
}

extern "C" int
cv_image_to_grey(const struct cv_image *src, struct cv_image *dst, char *err, size_t errlen)
{
	if (!valid(src) || src == dst) {
		seterr(err, errlen, "grey: bad arguments");
		return -1;
	}
	try {
		return to_image(view(src), 1, dst, err, errlen);
	} CV_CATCH(err, errlen, "grey")
	return -1;
}

extern "C" struct cv_writer *
cv_writer_open(const char *path, int w, int h, double fps, char *err, size_t errlen)
{
	cv_writer *wr = NULL;

	quiet();
	if (w <= 0 || h <= 0 || !(fps > 0)) {
		seterr(err, errlen, "%s: bad video size %dx%d at %g fps", path, w, h, fps);
		return NULL;
	}
	try {
		wr = new cv_writer;
		wr->path = path;
		wr->w = w;
		wr->h = h;
		if (wr->wr.open(path, cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
		    fps, cv::Size(w, h), true))
			return wr;
		seterr(err, errlen, "%s: cannot open an MJPG writer (not .avi, or %s)", path,
		    strerror(errno));
	} CV_CATCH(err, errlen, "%s", path)
	delete wr;
	return NULL;
}

extern "C" int
cv_writer_write(struct cv_writer *wr, const struct cv_image *im, char *err, size_t errlen)
{
	if (!valid(im) || im->w != wr->w || im->h != wr->h) {
		seterr(err, errlen, "%s: frame is not %dx%d", wr->path.c_str(), wr->w, wr->h);
		return -1;
	}
	try {
		if (im->channels == 3) {
			wr->wr.write(view(im));
		} else {
			cv::Mat bgr;
			cv::cvtColor(view(im), bgr, cv::COLOR_GRAY2BGR);
			wr->wr.write(bgr);
		}
		return 0;
	} CV_CATCH(err, errlen, "%s", wr->path.c_str())
	return -1;
}

extern "C" void
cv_writer_close(struct cv_writer *wr)
{
	if (wr == NULL)
		return;
	try {
		wr->wr.release();
	} CV_CATCH_QUIET
	delete wr;
}
