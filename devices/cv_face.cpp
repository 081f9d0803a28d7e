/*
 * cv_face — OpenCV's DNN and cascades behind the C API of cv_face.h.
 * Every entry point closes its try block with CV_CATCH (devices/cv_guard.hpp):
 * no exception crosses extern "C".
 */
#include "base/log.h"
#include "devices/cv_guard.hpp"
#include "devices/cv_face.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct cv_facenet {
	cv::dnn::Net             net;
	std::vector<cv::String>  outs;   /* scores 16×16×2, scores 8×8×6, regs, regs */
	std::vector<cv::Mat>     res;
	cv::Mat                  sq, small, rgb, blob;
};

struct cv_cascade {
	cv::CascadeClassifier cc;
};

#define seterr log_seterr

/* A cv::Mat header over a cv_image (no copy). */
static bool
wrap(const struct cv_image *im, cv::Mat &m)
{
	if (im == nullptr || im->data == nullptr || im->w <= 0 || im->h <= 0 ||
	    (im->channels != 1 && im->channels != 3))
		return false;
	m = cv::Mat(im->h, im->w, im->channels == 1 ? CV_8UC1 : CV_8UC3, im->data, im->stride);
	return true;
}

/* Copies a continuous 8-bit Mat into a fresh cv_image. */
static int
unwrap(const cv::Mat &m, struct cv_image *out)
{
	if (cv_image_alloc(out, m.cols, m.rows, m.channels()) == -1)
		return -1;
	for (int y = 0; y < m.rows; y++)
		memcpy(out->data + (size_t)y * out->stride, m.ptr(y), out->stride);
	return 0;
}

extern "C" struct cv_facenet *
cv_facenet_load(const char *path, char *err, size_t errlen)
{
	cv_facenet *n = nullptr;

	try {
		n = new cv_facenet;
		n->net = cv::dnn::readNetFromONNX(path);
		if (n->net.empty()) {
			seterr(err, errlen, "%s: not a network", path);
			delete n;
			return nullptr;
		}
		n->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
		n->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
		n->outs = n->net.getUnconnectedOutLayersNames();
		if (n->outs.size() != 4) {
			seterr(err, errlen, "%s: %zu outputs, want 4 (BlazeFace front)", path,
			    n->outs.size());
			delete n;
			return nullptr;
		}
		std::sort(n->outs.begin(), n->outs.end());  /* Identity, _1, _2, _3 */
		return n;
	} CV_CATCH(err, errlen, "%s", path)
	delete n;
	return nullptr;
}

extern "C" void
cv_facenet_free(struct cv_facenet *n)
{
	delete n;
}

extern "C" int
cv_facenet_run(struct cv_facenet *n, const struct cv_image *im, float *scores, float *regs,
    struct cv_letterbox *lb, char *err, size_t errlen)
{
	static const int want[4][2] = { { 512, 1 }, { 384, 1 }, { 512, 16 }, { 384, 16 } };
	cv::Mat src;

	if (!wrap(im, src)) {
		seterr(err, errlen, "empty or unsupported image");
		return -1;
	}
	try {
		int s = std::max(src.cols, src.rows);
		int ox = (s - src.cols) / 2, oy = (s - src.rows) / 2;

		n->sq.create(s, s, CV_8UC3);
		n->sq.setTo(cv::Scalar::all(0));
		cv::Mat dst = n->sq(cv::Rect(ox, oy, src.cols, src.rows));
		if (src.channels() == 1)
			cv::cvtColor(src, dst, cv::COLOR_GRAY2BGR);
		else
			src.copyTo(dst);
		cv::resize(n->sq, n->small, cv::Size(CV_FACENET_SIZE, CV_FACENET_SIZE), 0, 0,
		    s > CV_FACENET_SIZE ? cv::INTER_AREA : cv::INTER_LINEAR);
		cv::cvtColor(n->small, n->rgb, cv::COLOR_BGR2RGB);
		int sz[4] = { 1, CV_FACENET_SIZE, CV_FACENET_SIZE, 3 };
		n->blob.create(4, sz, CV_32F);
		cv::Mat flat(CV_FACENET_SIZE, CV_FACENET_SIZE, CV_32FC3, n->blob.ptr<float>());
		n->rgb.convertTo(flat, CV_32FC3, 2.0 / 255.0, -1.0);   /* [-1, 1] */
		n->net.setInput(n->blob);
		n->net.forward(n->res, n->outs);
		for (int i = 0; i < 4; i++)
			if (n->res[i].total() != (size_t)want[i][0] * want[i][1] ||
			    n->res[i].type() != CV_32F) {
				seterr(err, errlen, "output %d has %zu values, want %d", i,
				    n->res[i].total(), want[i][0] * want[i][1]);
				return -1;
			}
		memcpy(scores, n->res[0].ptr<float>(), 512 * sizeof(float));
		memcpy(scores + 512, n->res[1].ptr<float>(), 384 * sizeof(float));
		memcpy(regs, n->res[2].ptr<float>(), 512 * 16 * sizeof(float));
		memcpy(regs + 512 * 16, n->res[3].ptr<float>(), 384 * 16 * sizeof(float));
		lb->scale = (float)s / CV_FACENET_SIZE;
		lb->ox = (float)ox;
		lb->oy = (float)oy;
		return 0;
	} CV_CATCH(err, errlen, "face network")
	return -1;
}

extern "C" void
cv_face_set_threads(int n)
{
	try {
		cv::setNumThreads(n > 0 ? n : -1);
	} CV_CATCH_QUIET
}

extern "C" struct cv_cascade *
cv_cascade_load(const char *path, char *err, size_t errlen)
{
	cv_cascade *c = nullptr;

	try {
		c = new cv_cascade;
		if (!c->cc.load(path)) {
			seterr(err, errlen, "%s: cannot load cascade", path);
			delete c;
			return nullptr;
		}
		return c;
	} CV_CATCH(err, errlen, "%s", path)
	delete c;
	return nullptr;
}

extern "C" void
cv_cascade_free(struct cv_cascade *c)
{
	delete c;
}

extern "C" int
cv_cascade_detect(struct cv_cascade *c, const struct cv_image *im, const struct cv_rect *roi,
    int min_size, struct cv_rect *out, int max, char *err, size_t errlen)
{
	cv::Mat src, grey;

	if (!wrap(im, src)) {
		seterr(err, errlen, "empty or unsupported image");
		return -1;
	}
	try {
		cv::Rect r(0, 0, src.cols, src.rows);
		if (roi != nullptr)
			r &= cv::Rect((int)roi->x, (int)roi->y, (int)roi->w, (int)roi->h);
		if (r.width < min_size || r.height < min_size || r.width <= 0 || r.height <= 0)
			return 0;
		if (src.channels() == 3)
			cv::cvtColor(src(r), grey, cv::COLOR_BGR2GRAY);
		else
			grey = src(r);
		cv::equalizeHist(grey, grey);
		std::vector<cv::Rect> found;
		c->cc.detectMultiScale(grey, found, 1.1, 3, 0, cv::Size(min_size, min_size));
		std::sort(found.begin(), found.end(),
		    [](const cv::Rect &a, const cv::Rect &b) { return a.area() > b.area(); });
		for (int i = 0; i < (int)found.size() && i < max; i++) {
			out[i].x = (float)(found[i].x + r.x);
			out[i].y = (float)(found[i].y + r.y);
			out[i].w = (float)found[i].width;
			out[i].h = (float)found[i].height;
		}
		return (int)found.size();
	} CV_CATCH(err, errlen, "cascade")
	return -1;
}

extern "C" int
cv_face_read_image(const char *path, struct cv_image *im, char *err, size_t errlen)
{
	memset(im, 0, sizeof *im);
	try {
		cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
		if (m.empty()) {
			seterr(err, errlen, "%s: cannot read image", path);
			return -1;
		}
		if (unwrap(m, im) == -1) {
			seterr(err, errlen, "%s: out of memory", path);
			return -1;
		}
		return 0;
	} CV_CATCH(err, errlen, "%s", path)
	return -1;
}

extern "C" int
cv_face_warp_grey(const struct cv_image *im, const double m[6], int w, int h,
    struct cv_image *out, char *err, size_t errlen)
{
	cv::Mat src, grey, dst;

	memset(out, 0, sizeof *out);
	if (!wrap(im, src) || w <= 0 || h <= 0) {
		seterr(err, errlen, "empty or unsupported image");
		return -1;
	}
	try {
		if (src.channels() == 3)
			cv::cvtColor(src, grey, cv::COLOR_BGR2GRAY);
		else
			grey = src;
		cv::Mat M = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
		cv::warpAffine(grey, dst, M, cv::Size(w, h), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
		    cv::BORDER_REPLICATE);
		if (unwrap(dst, out) == -1) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	} CV_CATCH(err, errlen, "warp")
	return -1;
}

extern "C" int
cv_face_warp_rgb(const struct cv_image *im, const double m[6], int w, int h, uint8_t *out,
    size_t stride, char *err, size_t errlen)
{
	cv::Mat src, rgb;

	if (!wrap(im, src) || w <= 0 || h <= 0 || out == nullptr || stride < (size_t)w * 3) {
		seterr(err, errlen, "empty or unsupported image");
		return -1;
	}
	try {
		cv::Mat M = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
		cv::Mat dst(h, w, CV_8UC3, out, stride), warped;
		cv::warpAffine(src, warped, M, cv::Size(w, h), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
		    cv::BORDER_REPLICATE);
		cv::cvtColor(warped, dst, warped.channels() == 1 ? cv::COLOR_GRAY2RGB :
		    cv::COLOR_BGR2RGB);
		return 0;
	} CV_CATCH(err, errlen, "warp")
	return -1;
}

extern "C" double
cv_face_mean(const struct cv_image *im, const struct cv_rect *r)
{
	cv::Mat src;

	if (!wrap(im, src))
		return -1;
	try {
		cv::Rect rr = cv::Rect((int)r->x, (int)r->y, (int)r->w, (int)r->h) &
		    cv::Rect(0, 0, src.cols, src.rows);
		if (rr.area() <= 0)
			return -1;
		cv::Scalar s = cv::mean(src(rr));
		return src.channels() == 1 ? s[0] : (s[0] + s[1] + s[2]) / 3;
	} catch (...) {
		return -1;
	}
}
