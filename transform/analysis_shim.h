// The libvips side of Analyze: one small, upright, opaque sRGB copy of an
// image's first page, as packed 8-bit RGB.
#ifndef CLOUDLET_ANALYSIS_SHIM_H
#define CLOUDLET_ANALYSIS_SHIM_H

#include <stddef.h>

// cl_analysis_pixels shrinks the image in buf to fit a size x size box (never
// enlarging it), shrinking on load where the format allows, turns it upright,
// converts it to sRGB and flattens any alpha onto white. On success it returns
// 0 and sets *out to width*height*3 bytes of RGB that the caller frees with
// cl_analysis_free; on failure it returns non-zero and sets *error to libvips'
// messages, also freed with cl_analysis_free.
int cl_analysis_pixels(const void *buf, size_t len, int size,
	void **out, int *width, int *height, char **error);
void cl_analysis_free(void *p);

#endif
