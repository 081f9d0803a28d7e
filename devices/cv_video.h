/*
 * cv_video — video, cameras and image files through OpenCV (the C side).
 *
 * Everything here hands frames over as struct cv_image (devices/cv.h), BGR
 * with 3 channels unless said otherwise.  Functions that fill an image take
 * a caller-owned struct that must start zeroed (or hold an image from an
 * earlier call): its buffer is reused when the size and channel count are
 * unchanged, and replaced otherwise, so a reader loop allocates once.
 *
 * Readers: a video file (FFmpeg, else OpenCV's own MJPEG reader; GStreamer
 * is never tried, it is slow to start and noisy) and a live V4L2 device.
 * Writers: one image file, and an MJPG .avi, which OpenCV writes by itself
 * without FFmpeg.  No C++ exception crosses this line: each becomes -1 and
 * a reason in err.
 */
#ifndef SO_CV_VIDEO_H
#define SO_CV_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "devices/cv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cv_video;
struct cv_writer;

/* Opens a video file and decodes its first frame, so a file that opens but
 * holds nothing decodable is refused here ("not a decodable video") rather
 * than ending silently at the first read. */
struct cv_video *cv_video_open_file(const char *path, char *err, size_t errlen);

/* Opens a live V4L2 camera: dev is an index ("0") or a node ("/dev/video0").
 * w, h and fps are requests (0 = the driver's choice); the camera may give
 * something else, which cv_video_size()/cv_video_fps() then tell. */
struct cv_video *cv_video_open_v4l2(const char *dev, int w, int h, double fps,
                                    char *err, size_t errlen);

/* The next frame into *im (BGR): 1, 0 at the end of a file, or -1 with err
 * (a live camera that stops giving frames). */
int    cv_video_read(struct cv_video *v, struct cv_image *im, char *err, size_t errlen);
/* What the container or driver says: frames per second (0 when unknown),
 * frames in all (-1 when unknown or live), frame size. */
double cv_video_fps(const struct cv_video *v);
long   cv_video_frame_count(const struct cv_video *v);
void   cv_video_size(const struct cv_video *v, int *w, int *h);
void   cv_video_close(struct cv_video *v);

/* Reads an image file (any format OpenCV knows) as channels 1 (grey) or 3
 * (BGR) into *im. */
int cv_image_load(const char *path, int channels, struct cv_image *im,
                  char *err, size_t errlen);
/* Writes an image file; the extension picks the format. */
int cv_image_save(const char *path, const struct cv_image *im, char *err, size_t errlen);
/* Encodes to memory (ext ".jpg", ".png", ...; quality 1..100 for JPEG, 0 =
 * default): *buf is malloc'd, the caller frees it.  For writers that want
 * their own file modes or an atomic rename. */
int cv_image_encode(const struct cv_image *im, const char *ext, int quality,
                    uint8_t **buf, size_t *len, char *err, size_t errlen);

/* Scales src to w×h (area averaging down, linear up) into *dst (same
 * channel count).  dst must not be src. */
int cv_image_resize(const struct cv_image *src, int w, int h, struct cv_image *dst,
                    char *err, size_t errlen);
/* BGR (or grey, copied) to grey into *dst.  dst must not be src. */
int cv_image_to_grey(const struct cv_image *src, struct cv_image *dst,
                     char *err, size_t errlen);

/* An MJPG .avi of w×h frames at fps.  Grey frames are written as BGR;
 * frames of another size are refused. */
struct cv_writer *cv_writer_open(const char *path, int w, int h, double fps,
                                 char *err, size_t errlen);
int  cv_writer_write(struct cv_writer *wr, const struct cv_image *im, char *err, size_t errlen);
/* Finishes the file (index and headers); NULL is fine. */
void cv_writer_close(struct cv_writer *wr);

#ifdef __cplusplus
}
#endif

#endif
