#include <string.h>
#include <vips/vips.h>

#include "vips_shim.h"

int
cl_init(void)
{
	// vips_init is idempotent: a second call (or bimg's own) returns at once.
	return vips_init("cloudlet");
}

char *
cl_init_error(void)
{
	return vips_error_buffer_copy();
}

void
cl_free(void *p)
{
	g_free(p);
}

static int
cl_tracked_free_cb(void *data, void *unused)
{
	vips_tracked_free(data);
	return 0;
}

// cl_source copies buf into memory libvips owns. Operations inside loaders
// land in the libvips operation cache, which keeps their source alive after
// the call that made them returns: Go memory must not be in there. The copy
// is tracked memory, so the cache's memory limit (vips_cache_set_max_mem)
// also bounds how many copies it can keep.
VipsSource *
cl_source(const void *buf, size_t len)
{
	void *copy;
	VipsBlob *blob;
	VipsSource *source;

	copy = vips_tracked_malloc(len);
	if (!copy)
		return NULL;
	memcpy(copy, buf, len);
	blob = vips_blob_new((VipsCallbackFn) cl_tracked_free_cb, copy, len);
	source = vips_source_new_from_blob(blob);
	vips_area_unref(VIPS_AREA(blob));

	return source;
}

static void
cl_copy_string(VipsImage *image, const char *field, char *dst, size_t size)
{
	const char *s;

	if (vips_image_get_typeof(image, field) &&
		!vips_image_get_string(image, field, &s))
		g_strlcpy(dst, s, size);
}

// cl_done ends every exported call. It frees the buffers libvips keeps per
// thread (Go's threads outlive the call) and, on failure, takes the messages
// from libvips' error buffer at once: the buffer is one for the whole process.
static int
cl_done(int result, char **error)
{
	if (result)
		*error = vips_error_buffer_copy();
	vips_thread_shutdown();

	return result;
}

static void
cl_read_header(VipsImage *image, cl_header *out)
{
	const void *exif;
	size_t exif_len;

	out->width = image->Xsize;
	out->height = vips_image_get_page_height(image);
	out->pages = vips_image_get_n_pages(image);
	out->has_alpha = vips_image_hasalpha(image);
	if (vips_image_get_typeof(image, VIPS_META_ORIENTATION) &&
		vips_image_get_int(image, VIPS_META_ORIENTATION, &out->orientation))
		out->orientation = 0;

	cl_copy_string(image, VIPS_META_LOADER, out->loader, sizeof(out->loader));
	cl_copy_string(image, "heif-compression", out->subformat, sizeof(out->subformat));
	cl_copy_string(image, "magick-format", out->subformat, sizeof(out->subformat));

	if (vips_image_get_typeof(image, VIPS_META_EXIF_NAME) &&
		!vips_image_get_blob(image, VIPS_META_EXIF_NAME, &exif, &exif_len) &&
		exif_len > 0) {
		out->exif = g_malloc(exif_len);
		memcpy(out->exif, exif, exif_len);
		out->exif_len = exif_len;
	}
}

int
cl_probe(const void *buf, size_t len, cl_header *out, char **error)
{
	VipsSource *source;
	VipsImage *image;

	memset(out, 0, sizeof(*out));

	if (!(source = cl_source(buf, len)))
		return cl_done(-1, error);
	// Header only: sequential access and no pixel is asked for, so nothing is
	// decoded.
	image = vips_image_new_from_source(source, "",
		"access", VIPS_ACCESS_SEQUENTIAL,
		NULL);
	g_object_unref(source);
	if (!image)
		return cl_done(-1, error);

	cl_read_header(image, out);
	g_object_unref(image);

	return cl_done(0, error);
}

static int
cl_discard(VipsRegion *region, void *seq, void *a, void *b, gboolean *stop)
{
	return 0;
}

// cl_verify_load decodes pages [page, page + n) of buf (n = -1: to the end,
// 0: the loader's default, which has no page options at all). It returns 1 when
// the loader would not even open them that way, -1 on a decode failure.
static int
cl_verify_load(const void *buf, size_t len, int page, int n)
{
	VipsSource *source;
	VipsImage *image;
	int result;

	if (!(source = cl_source(buf, len)))
		return -1;
	// fail_on=warning turns decoder warnings (a truncated JPEG is only a
	// libjpeg warning) into errors.
	if (n == 0)
		image = vips_image_new_from_source(source, "",
			"access", VIPS_ACCESS_SEQUENTIAL,
			"fail_on", VIPS_FAIL_ON_WARNING,
			NULL);
	else
		image = vips_image_new_from_source(source, "",
			"access", VIPS_ACCESS_SEQUENTIAL,
			"fail_on", VIPS_FAIL_ON_WARNING,
			"page", page,
			"n", n,
			NULL);
	g_object_unref(source);
	if (!image)
		return 1;

	// Pull every pixel through the decoder and throw it away: memory stays
	// at a few tiles whatever the image size.
	result = vips_sink(image, NULL, cl_discard, NULL, NULL, NULL);
	g_object_unref(image);

	return result ? -1 : 0;
}

int
cl_verify(const void *buf, size_t len, int pages, char **error)
{
	int result;

	if (pages <= 1)
		result = cl_verify_load(buf, len, 0, 0);
	else if ((result = cl_verify_load(buf, len, 0, -1)) == 1) {
		// The pages do not stack into one image (a TIFF pyramid, pages of
		// different sizes): decode them one at a time.
		result = 0;
		for (int page = 0; page < pages && !result; page++)
			result = cl_verify_load(buf, len, page, 1);
	}

	return cl_done(result ? -1 : 0, error);
}

int
cl_save_supported(const char *suffix)
{
	if (strcmp(suffix, ".bmp") == 0)
		return vips_type_find("VipsOperation", "magicksave_buffer") != 0;

	return vips_foreign_find_save_buffer(suffix) != NULL;
}

// cl_convert_image turns image into the bytes of the target format; base
// owns the intermediate images.
static int
cl_convert_image(VipsImage *base, VipsImage *image, const char *suffix,
	const char *options, int all_pages, int flatten, void **out, size_t *out_len)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 2);
	char *format;
	int result;

	// A still image comes out upright with no orientation tag, so the result
	// looks the same in every viewer and in formats that carry no EXIF. Frames
	// of an animation are stacked into one tall image that must not rotate.
	if (!all_pages) {
		if (vips_autorot(image, &t[0], NULL))
			return -1;
		image = t[0];
	}

	if (flatten && vips_image_hasalpha(image)) {
		double white = image->Type == VIPS_INTERPRETATION_RGB16 ||
				image->Type == VIPS_INTERPRETATION_GREY16 ?
			65535.0 : 255.0;
		VipsArrayDouble *background = vips_array_double_newv(1, white);

		result = vips_flatten(image, &t[1], "background", background, NULL);
		vips_area_unref(VIPS_AREA(background));
		if (result)
			return -1;
		image = t[1];
	}

	if (strcmp(suffix, ".bmp") == 0)
		return vips_magicksave_buffer(image, out, out_len, "format", "bmp", NULL);

	format = g_strconcat(suffix, options, NULL);
	result = vips_image_write_to_buffer(image, format, out, out_len, NULL);
	g_free(format);

	return result;
}

int
cl_convert(const void *buf, size_t len, const char *suffix, const char *options,
	int all_pages, int flatten, void **out, size_t *out_len, char **error)
{
	VipsSource *source;
	VipsImage *image;
	VipsImage *base;
	int result;

	*out = NULL;
	*out_len = 0;

	if (!(source = cl_source(buf, len)))
		return cl_done(-1, error);
	if (all_pages)
		image = vips_image_new_from_source(source, "", "n", -1, NULL);
	else
		image = vips_image_new_from_source(source, "", NULL);
	g_object_unref(source);
	if (!image)
		return cl_done(-1, error);

	base = vips_image_new();
	vips_object_local(base, image);
	result = cl_convert_image(base, image, suffix, options, all_pages, flatten, out, out_len);
	g_object_unref(base);

	return cl_done(result ? -1 : 0, error);
}
