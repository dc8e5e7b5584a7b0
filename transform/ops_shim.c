#include <math.h>
#include <string.h>

#include "ops_shim.h"
#include "vips_shim.h"

// Functions build their intermediates in a local array on a scratch image:
// releasing the scratch image releases them all, while the result keeps
// whatever it was computed from alive through libvips' own references.
static VipsImage **
scratch(VipsImage **scope, int n)
{
	*scope = vips_image_new();
	return (VipsImage **) vips_object_local_array(VIPS_OBJECT(*scope), n);
}

static int
finish(VipsImage *scope, VipsImage *result, VipsImage **out)
{
	g_object_ref(result);
	*out = result;
	g_object_unref(scope);
	return 0;
}

static int
fail(VipsImage *scope)
{
	g_object_unref(scope);
	return -1;
}

char *
op_error(void)
{
	return vips_error_buffer_copy();
}

void
op_unref(VipsImage *image)
{
	if (image)
		g_object_unref(image);
}

void
op_free(void *p)
{
	g_free(p);
}

void
op_disable_cache(void)
{
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
}

static int
with_alpha(VipsImage *in, VipsImage **out)
{
	if (vips_image_hasalpha(in)) {
		g_object_ref(in);
		*out = in;
		return 0;
	}
	return vips_bandjoin_const1(in, out, 255.0, NULL);
}

// normalize makes a loaded image sRGB, 8 bits, 3 or 4 bands, with no
// orientation of its own: Execute applies EXIF orientation itself.
static int
normalize(VipsImage *in, VipsImage **out)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 6);
	VipsImage *x;

	if (vips_copy(in, &t[0], NULL))
		return fail(scope);
	x = t[0];
	vips_autorot_remove_angle(x);

	if (vips_image_get_typeof(x, VIPS_META_ICC_NAME)) {
		// A profile lcms cannot use falls back to the interpretation below.
		if (vips_icc_transform(x, &t[1], "srgb",
				"embedded", TRUE,
				"intent", VIPS_INTENT_PERCEPTUAL,
				NULL))
			vips_error_clear();
		else
			x = t[1];
	}
	if (x->Type != VIPS_INTERPRETATION_sRGB || x->Bands < 3) {
		if (vips_colourspace(x, &t[2], VIPS_INTERPRETATION_sRGB,
				"source_space", vips_image_guess_interpretation(x),
				NULL))
			return fail(scope);
		x = t[2];
	}
	if (x->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, NULL))
			return fail(scope);
		x = t[3];
	}
	if (x->Bands > 4) {
		if (vips_extract_band(x, &t[4], 0, "n", 4, NULL))
			return fail(scope);
		x = t[4];
	}

	return finish(scope, x, out);
}

int
op_load(const void *buf, size_t len, int page, int n, int multi, VipsImage **out)
{
	VipsSource *source;
	VipsImage *image;
	int result;

	if (!(source = cl_source(buf, len)))
		return -1;
	if (multi)
		image = vips_image_new_from_source(source, "", "page", page, "n", n, NULL);
	else
		image = vips_image_new_from_source(source, "", NULL);
	g_object_unref(source);
	if (!image)
		return -1;

	result = normalize(image, out);
	g_object_unref(image);

	return result;
}

int
op_header(const void *buf, size_t len, int *width, int *height)
{
	VipsSource *source;
	VipsImage *image;

	if (!(source = cl_source(buf, len)))
		return -1;
	image = vips_image_new_from_source(source, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	g_object_unref(source);
	if (!image)
		return -1;

	*width = image->Xsize;
	*height = vips_image_get_page_height(image);
	g_object_unref(image);

	return 0;
}

int
op_copy_metadata(VipsImage *in, const void *buf, size_t len, VipsImage **out)
{
	static const char *fields[] = {
		VIPS_META_EXIF_NAME, VIPS_META_XMP_NAME, VIPS_META_IPTC_NAME
	};
	VipsSource *source;
	VipsImage *from;
	const void *blob;
	size_t blob_len;

	if (!(source = cl_source(buf, len)))
		return -1;
	from = vips_image_new_from_source(source, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	g_object_unref(source);
	if (!from)
		return -1;
	if (vips_copy(in, out, NULL)) {
		g_object_unref(from);
		return -1;
	}
	for (int i = 0; i < VIPS_NUMBER(fields); i++)
		if (vips_image_get_typeof(from, fields[i]) &&
			!vips_image_get_blob(from, fields[i], &blob, &blob_len))
			vips_image_set_blob_copy(*out, fields[i], blob, blob_len);
	g_object_unref(from);

	return 0;
}

void
op_size(VipsImage *image, int *width, int *height, int *bands)
{
	*width = image->Xsize;
	*height = image->Ysize;
	*bands = image->Bands;
}

void
op_pages(VipsImage *image, int *pages, int *page_height)
{
	*page_height = vips_image_get_page_height(image);
	*pages = image->Ysize / *page_height;
}

int
op_point(VipsImage *image, int x, int y, double *values, int max, int *n)
{
	double *vector;
	int result;

	result = vips_getpoint(image, &vector, n, x, y, NULL);
	vips_thread_shutdown();
	if (result)
		return -1;
	memcpy(values, vector, sizeof(double) * VIPS_MIN(*n, max));
	g_free(vector);

	return 0;
}

// exact_size trims or extends (repeating edge pixels) x to width x height:
// resamplers may round a dimension one pixel away from the one asked for.
static int
exact_size(VipsImage *scope, VipsImage *x, int width, int height, VipsImage **out)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(scope), 2);

	if (x->Xsize > width || x->Ysize > height) {
		if (vips_extract_area(x, &t[0], 0, 0,
				VIPS_MIN(x->Xsize, width), VIPS_MIN(x->Ysize, height), NULL))
			return -1;
		x = t[0];
	}
	if (x->Xsize < width || x->Ysize < height) {
		if (vips_embed(x, &t[1], 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL))
			return -1;
		x = t[1];
	}
	*out = x;

	return 0;
}

int
op_resize(VipsImage *in, VipsImage **out, int width, int height)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 4);
	VipsImage *x = in;
	VipsImage *sized;
	int alpha = vips_image_hasalpha(in);

	// Resampling straight alpha darkens edges: work premultiplied.
	if (alpha) {
		if (vips_premultiply(x, &t[0], NULL))
			return fail(scope);
		x = t[0];
	}
	if (vips_resize(x, &t[1], (double) width / in->Xsize,
			"vscale", (double) height / in->Ysize,
			NULL))
		return fail(scope);
	x = t[1];
	if (alpha) {
		if (vips_unpremultiply(x, &t[2], NULL))
			return fail(scope);
		x = t[2];
	}
	if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, NULL) ||
		exact_size(scope, t[3], width, height, &sized))
		return fail(scope);

	return finish(scope, sized, out);
}

int
op_extract(VipsImage *in, VipsImage **out, int left, int top, int width, int height)
{
	return vips_extract_area(in, out, left, top, width, height, NULL);
}

// background gives rgba as a libvips colour for x's bands.
static VipsArrayDouble *
background(VipsImage *x, const double *rgba)
{
	return vips_array_double_new(rgba, vips_image_hasalpha(x) ? 4 : 3);
}

// for_background adds an alpha band to in when rgba is not opaque.
static int
for_background(VipsImage *in, const double *rgba, VipsImage **out)
{
	if (rgba[3] < 255.0)
		return with_alpha(in, out);
	g_object_ref(in);
	*out = in;
	return 0;
}

int
op_embed(VipsImage *in, VipsImage **out, int left, int top, int width, int height,
	const double *rgba)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	VipsArrayDouble *bg;
	int result;

	if (for_background(in, rgba, &t[0]))
		return fail(scope);
	bg = background(t[0], rgba);
	result = vips_embed(t[0], &t[1], left, top, width, height,
		"extend", VIPS_EXTEND_BACKGROUND,
		"background", bg,
		NULL);
	vips_area_unref(VIPS_AREA(bg));
	if (result)
		return fail(scope);

	return finish(scope, t[1], out);
}

int
op_smartcrop(VipsImage *in, VipsImage **out, int width, int height)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	int result;

	// Attention analyses the image in several passes: on a lazy pipeline each pass would
	// recompute everything upstream (a resize from a decode), so render it once first.
	result = !(t[0] = vips_image_copy_memory(in)) ||
		vips_smartcrop(t[0], &t[1], width, height,
			"interesting", VIPS_INTERESTING_ATTENTION,
			NULL);
	vips_thread_shutdown();
	if (result)
		return fail(scope);

	return finish(scope, t[1], out);
}

int
op_orient(VipsImage *in, VipsImage **out, int quarter_turns, int flip)
{
	static const VipsAngle angles[] = {
		VIPS_ANGLE_D0, VIPS_ANGLE_D90, VIPS_ANGLE_D180, VIPS_ANGLE_D270
	};
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	VipsImage *x = in;

	if (quarter_turns % 4) {
		if (vips_rot(x, &t[0], angles[quarter_turns % 4], NULL))
			return fail(scope);
		x = t[0];
	}
	if (flip) {
		if (vips_flip(x, &t[1], VIPS_DIRECTION_HORIZONTAL, NULL))
			return fail(scope);
		x = t[1];
	}

	return finish(scope, x, out);
}

int
op_rotate(VipsImage *in, VipsImage **out, double degrees, const double *rgba)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	VipsArrayDouble *bg;
	int result;

	if (for_background(in, rgba, &t[0]))
		return fail(scope);
	bg = background(t[0], rgba);
	result = vips_rotate(t[0], &t[1], degrees, "background", bg, NULL);
	vips_area_unref(VIPS_AREA(bg));
	if (result)
		return fail(scope);

	return finish(scope, t[1], out);
}

int
op_blur(VipsImage *in, VipsImage **out, double sigma)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 4);

	if (!vips_image_hasalpha(in)) {
		if (vips_gaussblur(in, &t[0], sigma, NULL))
			return fail(scope);
		return finish(scope, t[0], out);
	}
	if (vips_premultiply(in, &t[0], NULL) ||
		vips_gaussblur(t[0], &t[1], sigma, NULL) ||
		vips_unpremultiply(t[1], &t[2], NULL) ||
		vips_cast(t[2], &t[3], VIPS_FORMAT_UCHAR, NULL))
		return fail(scope);

	return finish(scope, t[3], out);
}

// A colour_fn computes a 3-band uchar sRGB image from the colour bands rgb;
// it keeps its intermediates in local arrays on scope and returns its result
// as a new reference in *out.
typedef int (*colour_fn)(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg);

// on_colour applies fn to the colour bands of in and keeps in's alpha.
static int
on_colour(VipsImage *in, VipsImage **out, colour_fn fn, const void *arg)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 5);
	VipsImage *rgb = in;
	VipsImage *alpha = NULL;
	VipsImage *x;

	if (in->Bands == 4) {
		if (vips_extract_band(in, &t[0], 0, "n", 3, NULL) ||
			vips_extract_band(in, &t[1], 3, NULL))
			return fail(scope);
		rgb = t[0];
		alpha = t[1];
	}
	if (fn(scope, rgb, &t[2], arg))
		return fail(scope);
	x = t[2];
	if (x->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, NULL))
			return fail(scope);
		x = t[3];
	}
	if (alpha) {
		if (vips_bandjoin2(x, alpha, &t[4], NULL))
			return fail(scope);
		x = t[4];
	}

	return finish(scope, x, out);
}

static VipsImage **
locals(VipsImage *scope, int n)
{
	return (VipsImage **) vips_object_local_array(VIPS_OBJECT(scope), n);
}

static int
grayscale_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 1);

	return vips_colourspace(rgb, &u[0], VIPS_INTERPRETATION_B_W, NULL) ||
		vips_colourspace(u[0], out, VIPS_INTERPRETATION_sRGB, NULL);
}

int
op_grayscale(VipsImage *in, VipsImage **out)
{
	return on_colour(in, out, grayscale_fn, NULL);
}

static int
threshold_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 3);
	const double *level = arg;
	VipsImage *bands[3];

	if (vips_colourspace(rgb, &u[0], VIPS_INTERPRETATION_B_W, NULL) ||
		vips_moreeq_const1(u[0], &u[1], *level, NULL))
		return -1;
	bands[0] = bands[1] = bands[2] = u[1];

	return vips_bandjoin(bands, &u[2], 3, NULL) ||
		vips_copy(u[2], out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
}

int
op_threshold(VipsImage *in, VipsImage **out, double level)
{
	return on_colour(in, out, threshold_fn, &level);
}

typedef struct {
	const double *m;
	const double *offset;
} recomb_args;

static int
recomb_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	static const double ones[3] = { 1, 1, 1 };
	VipsImage **u = locals(scope, 2);
	const recomb_args *a = arg;
	const double *m = a->m;

	// A diagonal matrix scales each band: vips_linear alone does that, much faster.
	if (m[1] == 0 && m[2] == 0 && m[3] == 0 && m[5] == 0 && m[6] == 0 && m[7] == 0) {
		double gain[3] = { m[0], m[4], m[8] };

		return vips_linear(rgb, out, gain, (double *) a->offset, 3, "uchar", TRUE, NULL);
	}
	if (!(u[0] = vips_image_new_matrix_from_array(3, 3, a->m, 9)))
		return -1;

	return vips_recomb(rgb, &u[1], u[0], NULL) ||
		vips_linear(u[1], out, (double *) ones, (double *) a->offset, 3, "uchar", TRUE, NULL);
}

int
op_recomb(VipsImage *in, VipsImage **out, const double *m, const double *offset)
{
	recomb_args a = { m, offset };

	return on_colour(in, out, recomb_fn, &a);
}

static int
saturation_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 2);
	double a[3] = { 1, *(const double *) arg, 1 };
	double b[3] = { 0, 0, 0 };

	return vips_colourspace(rgb, &u[0], VIPS_INTERPRETATION_LCH, NULL) ||
		vips_linear(u[0], &u[1], a, b, 3, NULL) ||
		vips_colourspace(u[1], out, VIPS_INTERPRETATION_sRGB, NULL);
}

int
op_saturation(VipsImage *in, VipsImage **out, double factor)
{
	return on_colour(in, out, saturation_fn, &factor);
}

static int
gamma_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	return vips_gamma(rgb, out, "exponent", *(const double *) arg, NULL);
}

int
op_gamma(VipsImage *in, VipsImage **out, double exponent)
{
	return on_colour(in, out, gamma_fn, &exponent);
}

typedef struct {
	double sigma, m1, m2;
} sharpen_args;

static int
sharpen_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 1);
	const sharpen_args *a = arg;

	// vips_sharpen works on the lightness of LabS and gives that back.
	return vips_sharpen(rgb, &u[0], "sigma", a->sigma, "m1", a->m1, "m2", a->m2, NULL) ||
		vips_colourspace(u[0], out, VIPS_INTERPRETATION_sRGB, NULL);
}

int
op_sharpen(VipsImage *in, VipsImage **out, double sigma, double m1, double m2)
{
	sharpen_args a = { sigma, m1, m2 };

	return on_colour(in, out, sharpen_fn, &a);
}

int
op_pixelate(VipsImage *in, VipsImage **out, int block)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 4);
	int width = VIPS_ROUND_UP(in->Xsize, block);
	int height = VIPS_ROUND_UP(in->Ysize, block);

	// Extend to whole blocks so the last row and column average real pixels.
	if (vips_embed(in, &t[0], 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL) ||
		vips_shrink(t[0], &t[1], block, block, NULL) ||
		vips_zoom(t[1], &t[2], block, block, NULL) ||
		vips_extract_area(t[2], &t[3], 0, 0, in->Xsize, in->Ysize, NULL))
		return fail(scope);

	return finish(scope, t[3], out);
}

typedef struct {
	const unsigned char *lut;
	double amount;
} tint_args;

static int
tint_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 7);
	const tint_args *a = arg;

	if (!(u[0] = vips_image_new_from_memory_copy(a->lut, 256 * 3, 256, 1, 3, VIPS_FORMAT_UCHAR)))
		return -1;

	return vips_colourspace(rgb, &u[1], VIPS_INTERPRETATION_B_W, NULL) ||
		vips_maplut(u[1], &u[2], u[0], NULL) ||
		vips_linear1(rgb, &u[3], 1.0 - a->amount, 0.0, NULL) ||
		vips_linear1(u[2], &u[4], a->amount, 0.0, NULL) ||
		vips_add(u[3], u[4], &u[5], NULL) ||
		vips_linear1(u[5], &u[6], 1.0, 0.0, "uchar", TRUE, NULL) ||
		vips_copy(u[6], out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
}

int
op_tint(VipsImage *in, VipsImage **out, const unsigned char *lut, double amount)
{
	tint_args a = { lut, amount };

	return on_colour(in, out, tint_fn, &a);
}

static int
vignette_fn(VipsImage *scope, VipsImage *rgb, VipsImage **out, const void *arg)
{
	VipsImage **u = locals(scope, 6);
	double strength = *(const double *) arg;
	double a[2] = { 2.0 / rgb->Xsize, 2.0 / rgb->Ysize };
	double b[2] = { 1.0 / rgb->Xsize - 1.0, 1.0 / rgb->Ysize - 1.0 };

	// Distance from the centre, 0 there and 1 in the corners, darkens by
	// strength at the corners.
	return vips_xyz(&u[0], rgb->Xsize, rgb->Ysize, NULL) ||
		vips_linear(u[0], &u[1], a, b, 2, NULL) ||
		vips_multiply(u[1], u[1], &u[2], NULL) ||
		vips_bandmean(u[2], &u[3], NULL) ||
		vips_linear1(u[3], &u[4], -strength, 1.0, NULL) ||
		vips_multiply(rgb, u[4], &u[5], NULL) ||
		vips_cast(u[5], out, VIPS_FORMAT_UCHAR, NULL);
}

int
op_vignette(VipsImage *in, VipsImage **out, double strength)
{
	return on_colour(in, out, vignette_fn, &strength);
}

int
op_percent(VipsImage *in, int band, double percent, int *value)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 3);
	VipsImage *x;
	int result;

	if (band < 0) {
		if (vips_extract_band(in, &t[0], 0, "n", 3, NULL) ||
			vips_colourspace(t[0], &t[1], VIPS_INTERPRETATION_B_W, NULL))
			return fail(scope);
		x = t[1];
	}
	else {
		if (vips_extract_band(in, &t[2], band, NULL))
			return fail(scope);
		x = t[2];
	}
	result = vips_percent(x, percent, value, NULL);
	vips_thread_shutdown();
	g_object_unref(scope);

	return result;
}

int
op_find_trim(VipsImage *in, const double *rgb, int use_alpha, double threshold,
	int *left, int *top, int *width, int *height)
{
	static const double transparent[1] = { 0 };
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 1);
	VipsArrayDouble *bg;
	int result;

	if (use_alpha && vips_image_hasalpha(in)) {
		if (vips_extract_band(in, &t[0], 3, NULL))
			return fail(scope);
		bg = vips_array_double_new(transparent, 1);
	}
	else {
		if (vips_extract_band(in, &t[0], 0, "n", 3, NULL))
			return fail(scope);
		bg = vips_array_double_new(rgb, 3);
	}
	result = vips_find_trim(t[0], left, top, width, height,
		"threshold", threshold,
		"background", bg,
		NULL);
	vips_area_unref(VIPS_AREA(bg));
	vips_thread_shutdown();
	g_object_unref(scope);

	return result;
}

// shape_path appends the outline of a w x h rectangle at (x, y) to d: its corners rounded
// by radii (from the top-left, clockwise), or an ellipse filling it when max.
static void
shape_path(GString *d, double x, double y, double w, double h, const double *radii, int max)
{
	double r[4];

	if (max) {
		g_string_append_printf(d, "M%.3f,%.3f A%.3f,%.3f 0 1 0 %.3f,%.3f "
			"A%.3f,%.3f 0 1 0 %.3f,%.3f Z ",
			x, y + h / 2, w / 2, h / 2, x + w, y + h / 2,
			w / 2, h / 2, x, y + h / 2);
		return;
	}
	for (int i = 0; i < 4; i++)
		r[i] = VIPS_CLIP(0, radii[i], VIPS_MIN(w, h) / 2);
	g_string_append_printf(d,
		"M%.3f,%.3f H%.3f A%.3f,%.3f 0 0 1 %.3f,%.3f "
		"V%.3f A%.3f,%.3f 0 0 1 %.3f,%.3f "
		"H%.3f A%.3f,%.3f 0 0 1 %.3f,%.3f "
		"V%.3f A%.3f,%.3f 0 0 1 %.3f,%.3f Z ",
		x + r[0], y, x + w - r[1], r[1], r[1], x + w, y + r[1],
		y + h - r[2], r[2], r[2], x + w - r[2], y + h,
		x + r[3], r[3], r[3], x, y + h - r[3],
		y + r[0], r[0], r[0], x + r[0], y);
}

// render_path draws path data d (even-odd filled) in rgba on a transparent width x height
// image, from a private copy of the SVG text.
static int
render_path(VipsImage *scope, int width, int height, const char *d, const double *rgba,
	VipsImage **out)
{
	VipsImage **u = locals(scope, 1);
	char *svg;
	VipsSource *source;

	svg = g_strdup_printf("<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\"><path fill-rule=\"evenodd\" "
		"fill=\"rgb(%d,%d,%d)\" fill-opacity=\"%.4f\" d=\"%s\"/></svg>",
		width, height, (int) rgba[0], (int) rgba[1], (int) rgba[2], rgba[3] / 255.0, d);
	source = cl_source(svg, strlen(svg));
	g_free(svg);
	if (!source)
		return -1;
	u[0] = vips_image_new_from_source(source, "", NULL);
	g_object_unref(source);
	*out = u[0];

	return u[0] ? 0 : -1;
}

static void
radii_double(const int *radii, double *out)
{
	for (int i = 0; i < 4; i++)
		out[i] = radii[i];
}

int
op_round(VipsImage *in, VipsImage **out, const int *radii, int max)
{
	static const double white[4] = { 255, 255, 255, 255 };
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 6);
	VipsImage *shape;
	GString *d = g_string_new(NULL);
	double r[4];
	int result;

	radii_double(radii, r);
	shape_path(d, 0, 0, in->Xsize, in->Ysize, r, max);
	result = render_path(scope, in->Xsize, in->Ysize, d->str, white, &shape);
	g_string_free(d, TRUE);
	if (result ||
		vips_extract_band(shape, &t[0], 3, NULL))
		return fail(scope);
	if (!vips_image_hasalpha(in)) {
		if (vips_bandjoin2(in, t[0], &t[1], NULL))
			return fail(scope);
		return finish(scope, t[1], out);
	}
	if (vips_extract_band(in, &t[2], 0, "n", 3, NULL) ||
		vips_extract_band(in, &t[3], 3, NULL) ||
		vips_multiply(t[3], t[0], &t[4], NULL) ||
		vips_linear1(t[4], &t[5], 1.0 / 255.0, 0.0, "uchar", TRUE, NULL) ||
		vips_bandjoin2(t[2], t[5], &t[1], NULL))
		return fail(scope);

	return finish(scope, t[1], out);
}

int
op_border(VipsImage *in, VipsImage **out, int width, const double *rgba,
	const int *radii, int max, int rounded)
{
	VipsImage *scope;
	VipsImage **t;
	VipsImage *ring;
	GString *d;
	double inner[4], outer[4];
	int result;

	if (!rounded)
		return op_embed(in, out, width, width,
			in->Xsize + 2 * width, in->Ysize + 2 * width, rgba);

	// A ring between the image's rounded outline and one grown by the border width
	// (radii too, so the band keeps its width around the curves). Its inner edge tucks
	// half a pixel under the image so no gap shows between their anti-aliased edges.
	for (int i = 0; i < 4; i++) {
		inner[i] = radii[i] > 0 ? VIPS_MAX(radii[i] - 0.5, 0) : 0;
		outer[i] = radii[i] > 0 ? radii[i] + width : 0;
	}
	d = g_string_new(NULL);
	shape_path(d, 0, 0, in->Xsize + 2 * width, in->Ysize + 2 * width, outer, max);
	shape_path(d, width + 0.5, width + 0.5, in->Xsize - 1, in->Ysize - 1, inner, max);
	t = scratch(&scope, 4);
	result = render_path(scope, in->Xsize + 2 * width, in->Ysize + 2 * width, d->str, rgba, &ring);
	g_string_free(d, TRUE);
	if (result ||
		with_alpha(in, &t[0]) ||
		vips_composite2(ring, t[0], &t[1], VIPS_BLEND_MODE_OVER,
			"x", width, "y", width,
			NULL) ||
		vips_cast(t[1], &t[2], VIPS_FORMAT_UCHAR, NULL) ||
		vips_copy(t[2], &t[3], "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
		return fail(scope);

	return finish(scope, t[3], out);
}

int
op_opacity(VipsImage *in, VipsImage **out, double factor)
{
	double a[4] = { 1, 1, 1, factor };
	double b[4] = { 0, 0, 0, 0 };

	if (!vips_image_hasalpha(in))
		return vips_bandjoin_const1(in, out, 255.0 * factor, NULL);

	return vips_linear(in, out, a, b, 4, "uchar", TRUE, NULL);
}

int
op_composite(VipsImage *base, VipsImage *layer, VipsImage **out, int x, int y, int under)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 7);
	VipsImage *result;

	if (with_alpha(base, &t[0]) ||
		with_alpha(layer, &t[1]))
		return fail(scope);
	if (under) {
		// The layer on a transparent base-sized canvas, then the base over it.
		if (vips_embed(t[1], &t[2], x, y, base->Xsize, base->Ysize, NULL) ||
			vips_composite2(t[2], t[0], &t[3], VIPS_BLEND_MODE_OVER, NULL))
			return fail(scope);
	}
	else if (vips_composite2(t[0], t[1], &t[3], VIPS_BLEND_MODE_OVER,
			"x", x, "y", y,
			NULL))
		return fail(scope);
	if (vips_cast(t[3], &t[4], VIPS_FORMAT_UCHAR, NULL) ||
		vips_copy(t[4], &t[5], "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
		return fail(scope);
	result = t[5];
	if (!vips_image_hasalpha(base)) {
		if (vips_extract_band(result, &t[6], 0, "n", 3, NULL))
			return fail(scope);
		result = t[6];
	}

	return finish(scope, result, out);
}

int
op_text(VipsImage **out, const char *markup, const char *font, const double *rgba)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 5);
	double rgb[3] = { rgba[0], rgba[1], rgba[2] };

	if (vips_text(&t[0], markup, "font", font, "dpi", 72, NULL) ||
		!(t[1] = vips_image_new_from_image(t[0], rgb, 3)) ||
		vips_copy(t[1], &t[2], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) ||
		vips_linear1(t[0], &t[3], rgba[3] / 255.0, 0.0, "uchar", TRUE, NULL) ||
		vips_bandjoin2(t[2], t[3], &t[4], NULL))
		return fail(scope);

	return finish(scope, t[4], out);
}

int
op_join(VipsImage **frames, int n, VipsImage *like, VipsImage **out)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	int *delay;
	int count;
	int loop;

	if (vips_arrayjoin(frames, &t[0], n, "across", 1, NULL) ||
		vips_copy(t[0], &t[1], NULL))
		return fail(scope);
	vips_image_set_int(t[1], VIPS_META_PAGE_HEIGHT, frames[0]->Ysize);
	vips_image_set_int(t[1], VIPS_META_N_PAGES, n);
	if (vips_image_get_typeof(like, "delay") &&
		!vips_image_get_array_int(like, "delay", &delay, &count))
		vips_image_set_array_int(t[1], "delay", delay, VIPS_MIN(count, n));
	if (vips_image_get_typeof(like, "loop") &&
		!vips_image_get_int(like, "loop", &loop))
		vips_image_set_int(t[1], "loop", loop);

	return finish(scope, t[1], out);
}

static int
save_buffer(VipsImage *x, const op_save_options *o, void **buf, size_t *len)
{
	int q = o->quality;

	switch (o->format) {
	case OP_JPEG:
		return vips_jpegsave_buffer(x, buf, len,
			"Q", q > 0 ? q : 75,
			"interlace", o->interlace,
			"optimize_coding", TRUE,
			"strip", o->strip,
			NULL);
	case OP_PNG:
		return vips_pngsave_buffer(x, buf, len,
			"compression", 6,
			"interlace", o->interlace,
			"palette", o->palette,
			"Q", q > 0 ? q : 100,
			"strip", o->strip,
			NULL);
	case OP_WEBP:
		return vips_webpsave_buffer(x, buf, len,
			"Q", q > 0 ? q : 75,
			"strip", o->strip,
			NULL);
	case OP_AVIF:
	case OP_HEIC:
		return vips_heifsave_buffer(x, buf, len,
			"Q", q > 0 ? q : 50,
			"compression", o->format == OP_AVIF ?
				VIPS_FOREIGN_HEIF_COMPRESSION_AV1 : VIPS_FOREIGN_HEIF_COMPRESSION_HEVC,
			"strip", o->strip,
			NULL);
	case OP_GIF:
		return vips_gifsave_buffer(x, buf, len,
			"interframe_maxerror", o->gif_lossy ? 8.0 : 0.0,
			"strip", o->strip,
			NULL);
	case OP_TIFF:
		return vips_tiffsave_buffer(x, buf, len,
			"compression", VIPS_FOREIGN_TIFF_COMPRESSION_NONE,
			"strip", o->strip,
			NULL);
	}
	vips_error("cloudlet", "unknown output format %d", o->format);

	return -1;
}

int
op_save(VipsImage *in, const op_save_options *o, void **buf, size_t *len)
{
	VipsImage *scope;
	VipsImage **t = scratch(&scope, 2);
	VipsImage *x;
	VipsArrayDouble *bg;
	int result;

	*buf = NULL;
	*len = 0;

	if (vips_copy(in, &t[0], NULL))
		return fail(scope);
	x = t[0];
	if (!o->strip) {
		// The pixels are upright now; kept EXIF must not rotate them again.
		vips_image_set_int(x, VIPS_META_ORIENTATION, 1);
		if (o->strip_profile)
			vips_image_remove(x, VIPS_META_ICC_NAME);
	}
	if (o->format == OP_JPEG && vips_image_hasalpha(x)) {
		bg = vips_array_double_new(o->background, 3);
		result = vips_flatten(x, &t[1], "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (result)
			return fail(scope);
		x = t[1];
	}
	result = save_buffer(x, o, buf, len);
	vips_thread_shutdown();
	g_object_unref(scope);

	return result;
}
