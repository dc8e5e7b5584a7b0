// A thin C layer over libvips for what bimg has no API for: loading from a
// private copy of the bytes, page counts, strict full decodes, and
// multi-page-aware conversion.
#ifndef CLOUDLET_VIPS_SHIM_H
#define CLOUDLET_VIPS_SHIM_H

#include <stddef.h>

typedef struct {
	int width;
	int height; // of one page
	int pages;
	int has_alpha;
	int orientation; // 0 when the image carries none
	char loader[64]; // libvips loader nickname, e.g. "jpegload_source"
	char subformat[32]; // heif-compression ("hevc", "av1") or magick-format ("BMP")
	void *exif; // g_malloc'd copy of the exif-data blob, NULL when absent
	size_t exif_len;
} cl_header;

// cl_init starts libvips; on failure, libvips' messages are in its error buffer.
int cl_init(void);
char *cl_init_error(void);
// Each call returns 0 on success; on failure it returns non-zero and sets
// *error to libvips' messages, which the caller frees with cl_free.
int cl_probe(const void *buf, size_t len, cl_header *out, char **error);
int cl_verify(const void *buf, size_t len, int pages, char **error);
int cl_save_supported(const char *suffix);
int cl_convert(const void *buf, size_t len, const char *suffix, const char *options,
	int all_pages, int flatten, void **out, size_t *out_len, char **error);
void cl_free(void *p);

// cl_source returns a libvips source over a private, tracked copy of buf (NULL when out of
// memory): libvips' operation cache may keep a loader, and the memory it reads, past the call
// that made it, so it must never read Go memory. Every shim loads through it.
typedef struct _VipsSource VipsSource;
VipsSource *cl_source(const void *buf, size_t len);

#endif
