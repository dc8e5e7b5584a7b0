// The libvips operations Execute needs beyond bimg: effects, shapes, layers,
// text, frames and encoding of images held between steps. Every image the
// shim hands out is sRGB, 8 bits per band, 3 bands or 4 with alpha.
//
// Each function returning int gives 0 on success and -1 on failure, with
// libvips' messages left in its error buffer for op_error. Images passed in
// are borrowed; images handed out in *out are new references the caller
// releases with op_unref.
#ifndef CLOUDLET_OPS_SHIM_H
#define CLOUDLET_OPS_SHIM_H

#include <stddef.h>
#include <vips/vips.h>

enum {
	OP_JPEG,
	OP_PNG,
	OP_WEBP,
	OP_AVIF,
	OP_HEIC,
	OP_GIF,
	OP_TIFF,
};

typedef struct {
	int format; // OP_*
	int quality; // 0: the encoder's default
	int interlace;
	int strip; // drop all metadata
	int strip_profile; // drop the ICC profile when other metadata stays
	int palette; // PNG: quantise to 8 bits (lossy)
	int gif_lossy; // GIF: allow inter-frame error
	double background[3]; // flattening colour for formats without alpha
} op_save_options;

char *op_error(void);
void op_unref(VipsImage *image);
void op_free(void *p);
void op_disable_cache(void);

// op_load decodes a copy of buf: pages [page, page + n) stacked (n = -1: to
// the end) when multi, else the loader's default page.
int op_load(const void *buf, size_t len, int page, int n, int multi, VipsImage **out);
// op_header reads the width and page height of encoded bytes without decoding.
int op_header(const void *buf, size_t len, int *width, int *height);
// op_copy_metadata copies in with the EXIF, XMP and IPTC blocks of encoded bytes buf.
int op_copy_metadata(VipsImage *in, const void *buf, size_t len, VipsImage **out);
void op_size(VipsImage *image, int *width, int *height, int *bands);
// op_pages gives the page count and page height of a loaded (stacked) image.
void op_pages(VipsImage *image, int *pages, int *page_height);
int op_point(VipsImage *image, int x, int y, double *values, int max, int *n);

int op_resize(VipsImage *in, VipsImage **out, int width, int height);
int op_extract(VipsImage *in, VipsImage **out, int left, int top, int width, int height);
int op_embed(VipsImage *in, VipsImage **out, int left, int top, int width, int height,
	const double *rgba);
int op_smartcrop(VipsImage *in, VipsImage **out, int width, int height);
int op_orient(VipsImage *in, VipsImage **out, int quarter_turns, int flip);
int op_rotate(VipsImage *in, VipsImage **out, double degrees, const double *rgba);

int op_blur(VipsImage *in, VipsImage **out, double sigma);
int op_sharpen(VipsImage *in, VipsImage **out, double sigma, double m1, double m2);
int op_grayscale(VipsImage *in, VipsImage **out);
int op_threshold(VipsImage *in, VipsImage **out, double level);
// op_recomb maps each pixel's colour c to m·c + offset (m row-major 3x3).
int op_recomb(VipsImage *in, VipsImage **out, const double *m, const double *offset);
int op_saturation(VipsImage *in, VipsImage **out, double factor);
int op_gamma(VipsImage *in, VipsImage **out, double exponent);
int op_pixelate(VipsImage *in, VipsImage **out, int block);
// op_tint blends amount (0..1) of lut[luminance] (256 RGB triples) over the colour.
int op_tint(VipsImage *in, VipsImage **out, const unsigned char *lut, double amount);
int op_vignette(VipsImage *in, VipsImage **out, double strength);
// op_percent finds the value below which percent of the pixels of band
// (-1: luminance) lie.
int op_percent(VipsImage *in, int band, double percent, int *value);
// op_find_trim finds the box outside of which pixels are within threshold of
// rgb (the alpha band against 0 when the image has one and use_alpha).
int op_find_trim(VipsImage *in, const double *rgb, int use_alpha, double threshold,
	int *left, int *top, int *width, int *height);

// op_round cuts corners (top-left, top-right, bottom-right, bottom-left radii,
// or an ellipse when max) out of the alpha band.
int op_round(VipsImage *in, VipsImage **out, const int *radii, int max);
// op_border surrounds in with width pixels of rgba, its outer edge rounded
// like in's corners (radii grown by width) when rounded.
int op_border(VipsImage *in, VipsImage **out, int width, const double *rgba,
	const int *radii, int max, int rounded);
int op_opacity(VipsImage *in, VipsImage **out, double factor);
// op_composite lays layer over base (or base over layer when under) with
// layer's top-left at (x, y); the result is base-sized and keeps base's bands.
int op_composite(VipsImage *base, VipsImage *layer, VipsImage **out, int x, int y, int under);
// op_text renders Pango markup in font, coloured rgba, on transparency.
int op_text(VipsImage **out, const char *markup, const char *font, const double *rgba);
// op_join stacks frames into one animation with the timing of like.
int op_join(VipsImage **frames, int n, VipsImage *like, VipsImage **out);

int op_save(VipsImage *in, const op_save_options *options, void **buf, size_t *len);

#endif
