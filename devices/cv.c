/* cv — the image type shared by the OpenCV wrapper's C API (cv.h). */
#include "devices/cv.h"

#include <stdlib.h>
#include <string.h>

int
cv_image_alloc(struct cv_image *im, int w, int h, int channels)
{
	memset(im, 0, sizeof *im);
	if (w <= 0 || h <= 0 || (channels != 1 && channels != 3))
		return -1;
	if ((im->data = calloc((size_t)h, (size_t)w * channels)) == NULL)
		return -1;
	im->w = w;
	im->h = h;
	im->channels = channels;
	im->stride = (size_t)w * channels;
	return 0;
}

void
cv_image_free(struct cv_image *im)
{
	if (im == NULL)
		return;
	free(im->data);
	memset(im, 0, sizeof *im);
}
