/*
 * cv_shelf — ArUco detection and drawing behind cv_shelf.h.  Every entry
 * point closes its try block with CV_CATCH (devices/cv_guard.hpp).
 */
#include "base/log.h"
#include "devices/cv_guard.hpp"
#include "devices/cv_shelf.h"

#include <opencv2/aruco.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

struct cv_aruco {
	cv::Ptr<cv::aruco::Dictionary>         dict;
	cv::Ptr<cv::aruco::DetectorParameters> par;
	struct cv_aruco_conf                   conf;
	float                                  max_side = 0;   /* cv_aruco_set_max_side */
	cv::Mat                                grey;
	std::vector<std::vector<cv::Point2f>>  corners;
	std::vector<int>                       ids;
};

static bool
valid(const struct cv_image *im)
{
	return im != nullptr && im->data != nullptr && im->w > 0 && im->h > 0 &&
	    (im->channels == 1 || im->channels == 3) &&
	    im->stride >= (size_t)im->w * (size_t)im->channels;
}

extern "C" struct cv_aruco *
cv_aruco_new(const struct cv_aruco_conf *conf, char *err, size_t errlen)
{
	cv_aruco *a = nullptr;

	try {
		a = new cv_aruco;
		if (conf != nullptr)
			a->conf = *conf;
		else
			memset(&a->conf, 0, sizeof a->conf);
		if (a->conf.min_side_px <= 0)
			a->conf.min_side_px = 8;
		a->dict = cv::aruco::getPredefinedDictionary(cv::aruco::DICT_4X4_50);
		a->par = cv::aruco::DetectorParameters::create();
		if (a->conf.fast) {
			/* One window, about two marker cells at the sizes a shelf
			 * camera sees: a third of the thresholding and contours. */
			a->par->adaptiveThreshWinSizeMin = 13;
			a->par->adaptiveThreshWinSizeMax = 13;
			a->par->adaptiveThreshWinSizeStep = 10;
		}
		a->par->useAruco3Detection = a->conf.aruco3 != 0;
		a->par->cornerRefinementMethod = cv::aruco::CORNER_REFINE_NONE;
		return a;
	} CV_CATCH(err, errlen, "aruco")
	delete a;
	return nullptr;
}

extern "C" int
cv_aruco_detect(struct cv_aruco *a, const struct cv_image *im, const struct cv_rect *roi,
    struct cv_marker *out, int max, char *err, size_t errlen)
{
	if (a == nullptr || !valid(im) || (out == nullptr && max > 0) || max < 0) {
		log_seterr(err, errlen, "aruco: bad arguments");
		return -1;
	}
	try {
		int x0 = 0, y0 = 0, x1 = im->w, y1 = im->h, n = 0;
		if (roi != nullptr) {
			x0 = std::max(0, (int)roi->x);
			y0 = std::max(0, (int)roi->y);
			x1 = std::min(im->w, (int)(roi->x + roi->w + 0.999f));
			y1 = std::min(im->h, (int)(roi->y + roi->h + 0.999f));
		}
		if (x1 - x0 < 8 || y1 - y0 < 8)
			return 0;
		cv::Mat full(im->h, im->w, im->channels == 1 ? CV_8UC1 : CV_8UC3, im->data, im->stride);
		cv::Mat view = full(cv::Rect(x0, y0, x1 - x0, y1 - y0));
		if (im->channels == 3)
			cv::cvtColor(view, a->grey, cv::COLOR_BGR2GRAY);
		else
			a->grey = view;
		/* OpenCV's size limits are rates of the image's larger side. */
		int big = std::max(x1 - x0, y1 - y0);
		a->par->minMarkerPerimeterRate = std::min(1.0, 4.0 * a->conf.min_side_px / big);
		a->par->maxMarkerPerimeterRate = a->max_side > 0 ?
		    std::min(4.0, 4.0 * a->max_side / big) : 4.0;
		if (a->par->maxMarkerPerimeterRate <= a->par->minMarkerPerimeterRate)
			return 0;
		a->corners.clear();
		a->ids.clear();
		cv::aruco::detectMarkers(a->grey, a->dict, a->corners, a->ids, a->par);
		for (size_t i = 0; i < a->ids.size() && n < max; i++) {
			struct cv_marker *m = &out[n++];
			float cx = 0, cy = 0, side = 0;
			m->id = a->ids[i];
			for (int k = 0; k < 4; k++) {
				const cv::Point2f &p = a->corners[i][k], &q = a->corners[i][(k + 1) % 4];
				m->corner[k].x = p.x + x0;
				m->corner[k].y = p.y + y0;
				cx += p.x;
				cy += p.y;
				side += std::hypot(q.x - p.x, q.y - p.y);
			}
			m->centre.x = cx / 4 + x0;
			m->centre.y = cy / 4 + y0;
			m->side = side / 4;
		}
		return n;
	} CV_CATCH(err, errlen, "aruco")
	return -1;
}

extern "C" int
cv_aruco_verify(struct cv_aruco *a, const struct cv_image *im, const struct cv_marker *m,
    char *err, size_t errlen)
{
	if (a == nullptr || !valid(im) || m == nullptr || m->id < 0 || m->id >= CV_ARUCO_NIDS) {
		log_seterr(err, errlen, "aruco verify: bad arguments");
		return -1;
	}
	try {
		const int cells = 6, px = 4, side = cells * px;   /* 4x4 bits and the border */
		float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
		for (int k = 0; k < 4; k++) {
			x0 = std::min(x0, m->corner[k].x);
			y0 = std::min(y0, m->corner[k].y);
			x1 = std::max(x1, m->corner[k].x);
			y1 = std::max(y1, m->corner[k].y);
		}
		int ix0 = (int)x0 - 2, iy0 = (int)y0 - 2, ix1 = (int)x1 + 3, iy1 = (int)y1 + 3;
		if (ix0 < 0 || iy0 < 0 || ix1 > im->w || iy1 > im->h)
			return 0;
		cv::Mat full(im->h, im->w, im->channels == 1 ? CV_8UC1 : CV_8UC3, im->data, im->stride);
		cv::Mat view = full(cv::Rect(ix0, iy0, ix1 - ix0, iy1 - iy0)), g;
		if (im->channels == 3)
			cv::cvtColor(view, g, cv::COLOR_BGR2GRAY);
		else
			g = view;
		cv::Point2f src[4], dst[4] = { { 0, 0 }, { (float)side, 0 }, { (float)side, (float)side },
		    { 0, (float)side } };
		for (int k = 0; k < 4; k++)
			src[k] = cv::Point2f(m->corner[k].x - ix0, m->corner[k].y - iy0);
		cv::Mat w, bin;
		cv::warpPerspective(g, w, cv::getPerspectiveTransform(src, dst), cv::Size(side, side),
		    cv::INTER_NEAREST);
		cv::Scalar mean, sd;
		cv::meanStdDev(w, mean, sd);
		if (sd[0] < 10)              /* plain: no marker there */
			return 0;
		cv::threshold(w, bin, 125, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
		cv::Mat bits(cells, cells, CV_8UC1);
		for (int y = 0; y < cells; y++)
			for (int x = 0; x < cells; x++) {
				cv::Mat cell = bin(cv::Rect(x * px + 1, y * px + 1, px - 2, px - 2));
				bits.at<uint8_t>(y, x) = (size_t)cv::countNonZero(cell) * 2 > cell.total();
			}
		int border = 0;
		for (int i = 0; i < cells; i++)
			border += bits.at<uint8_t>(0, i) + bits.at<uint8_t>(cells - 1, i) +
			    bits.at<uint8_t>(i, 0) + bits.at<uint8_t>(i, cells - 1);
		if (border > 2)
			return 0;
		int id, rot;
		cv::Mat inner = bits(cv::Rect(1, 1, 4, 4)).clone();
		if (!a->dict->identify(inner, id, rot, 0.3))
			return 0;
		return id == m->id;
	} CV_CATCH(err, errlen, "aruco verify %d", m->id)
	return -1;
}

extern "C" void
cv_aruco_set_max_side(struct cv_aruco *a, float side_px)
{
	if (a != nullptr)
		a->max_side = side_px > 0 ? side_px : 0;
}

extern "C" void
cv_aruco_free(struct cv_aruco *a)
{
	try {
		delete a;
	} CV_CATCH_QUIET
}

extern "C" int
cv_aruco_draw(int id, int side, struct cv_image *out, char *err, size_t errlen)
{
	if (id < 0 || id >= CV_ARUCO_NIDS || side < 6 || side > 4096 || out == nullptr) {
		log_seterr(err, errlen, "aruco: marker %d at %d px: bad arguments (ids 0..%d)", id,
		    side, CV_ARUCO_NIDS - 1);
		return -1;
	}
	try {
		cv::Mat m;
		cv::Ptr<cv::aruco::Dictionary> d = cv::aruco::getPredefinedDictionary(cv::aruco::DICT_4X4_50);
		cv::aruco::drawMarker(d, id, side, m, 1);
		if (out->data == nullptr || out->w != side || out->h != side || out->channels != 1) {
			cv_image_free(out);
			if (cv_image_alloc(out, side, side, 1) < 0) {
				log_seterr(err, errlen, "out of memory");
				return -1;
			}
		}
		for (int y = 0; y < side; y++)
			memcpy(out->data + (size_t)y * out->stride, m.ptr(y), (size_t)side);
		return 0;
	} CV_CATCH(err, errlen, "aruco marker %d", id)
	return -1;
}
