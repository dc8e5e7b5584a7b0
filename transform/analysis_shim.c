#include <string.h>
#include <vips/vips.h>

#include "analysis_shim.h"
#include "vips_shim.h"

void
cl_analysis_free(void *p)
{
	g_free(p);
}

// cl_analysis_rgb runs the pipeline; base owns every intermediate image.
static int
cl_analysis_rgb(VipsImage *base, VipsSource *source, int size, VipsImage **out)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 5);
	VipsImage *image;

	// thumbnail shrinks on load (JPEG, WebP, HEIF, PDF, SVG), reads only the
	// first page and applies the EXIF orientation.
	if (vips_thumbnail_source(source, &t[0], size,
			"height", size,
			"size", VIPS_SIZE_DOWN,
			NULL))
		return -1;
	image = t[0];

	if (vips_colourspace(image, &t[1], VIPS_INTERPRETATION_sRGB, NULL))
		return -1;
	image = t[1];

	if (vips_image_hasalpha(image)) {
		VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
		int result = vips_flatten(image, &t[2], "background", white, NULL);

		vips_area_unref(VIPS_AREA(white));
		if (result)
			return -1;
		image = t[2];
	}

	if (image->Bands > 3) {
		if (vips_extract_band(image, &t[3], 0, "n", 3, NULL))
			return -1;
		image = t[3];
	}

	if (image->Bands != 3) {
		vips_error("cl_analysis", "%d bands after conversion to sRGB", image->Bands);
		return -1;
	}

	if (vips_cast_uchar(image, &t[4], NULL))
		return -1;
	*out = t[4];

	return 0;
}

int
cl_analysis_pixels(const void *buf, size_t len, int size,
	void **out, int *width, int *height, char **error)
{
	VipsSource *source;
	VipsImage *base;
	VipsImage *rgb;
	size_t n;
	int result = -1;

	*out = NULL;
	*width = 0;
	*height = 0;
	*error = NULL;

	if ((source = cl_source(buf, len))) {
		base = vips_image_new();
		if (!cl_analysis_rgb(base, source, size, &rgb) &&
			(*out = vips_image_write_to_memory(rgb, &n))) {
			*width = rgb->Xsize;
			*height = rgb->Ysize;
			result = 0;
		}
		g_object_unref(base);
		g_object_unref(source);
	}

	// The error buffer is one for the whole process: take its messages now.
	// Go's threads outlive this call, so free libvips' per-thread buffers.
	if (result)
		*error = vips_error_buffer_copy();
	vips_thread_shutdown();

	return result;
}
