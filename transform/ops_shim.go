package transform

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include "ops_shim.h"
*/
import "C"

import (
	"bytes"
	"image"
	_ "image/gif" // header sizes in encodedSize
	_ "image/jpeg"
	_ "image/png"
	"unsafe"
)

// vipsImage is one reference to an image held by libvips: sRGB, 8 bits, 3 bands or 4 with
// alpha. Operations return new images and leave their receiver as it was; release drops the
// reference (libvips keeps what later images were computed from).
type vipsImage struct {
	p *C.VipsImage
}

func (im *vipsImage) release() {
	if im != nil && im.p != nil {
		C.op_unref(im.p)
		im.p = nil
	}
}

// opError takes libvips' messages for a failed shim call.
func opError(doing string) error { return vipsError(doing, C.op_error()) }

// newImage runs a shim call that hands out one image.
func newImage(doing string, call func(out **C.VipsImage) C.int) (*vipsImage, error) {
	var out *C.VipsImage
	if call(&out) != 0 {
		return nil, opError(doing)
	}
	return &vipsImage{out}, nil
}

// loadImage decodes a private copy of b: the loader's default page, or pages [page, page+n)
// stacked into one tall image when multi (n = -1: to the last page).
func loadImage(b []byte, page, n int, multi bool) (*vipsImage, error) {
	if len(b) == 0 {
		return nil, errEmptyImage
	}
	return newImage("decode image", func(out **C.VipsImage) C.int {
		return C.op_load(unsafe.Pointer(&b[0]), C.size_t(len(b)), C.int(page), C.int(n), cBool(multi), out)
	})
}

// encodedSize reads the width and height (of one page) of encoded bytes from their header.
// Go reads JPEG, PNG and GIF headers in place; libvips, for the other formats, first copies the
// whole file, which on a busy server costs more than a tenth of a millisecond.
func encodedSize(b []byte) (w, h int, err error) {
	if len(b) == 0 {
		return 0, 0, errEmptyImage
	}
	if info, ok := jpegGeometry(b); ok { // without image/jpeg's decoder: 16 KB of garbage a call
		return info.Width, info.Height, nil
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		return cfg.Width, cfg.Height, nil
	}
	var cw, ch C.int
	if C.op_header(unsafe.Pointer(&b[0]), C.size_t(len(b)), &cw, &ch) != 0 {
		return 0, 0, opError("read encoded header")
	}
	return int(cw), int(ch), nil
}

// withMetadataOf copies the image with the EXIF, XMP and IPTC blocks of encoded bytes b.
func (im *vipsImage) withMetadataOf(b []byte) (*vipsImage, error) {
	if len(b) == 0 {
		return nil, errEmptyImage
	}
	return newImage("copy metadata", func(out **C.VipsImage) C.int {
		return C.op_copy_metadata(im.p, unsafe.Pointer(&b[0]), C.size_t(len(b)), out)
	})
}

func (im *vipsImage) size() (w, h int) {
	var cw, ch, cb C.int
	C.op_size(im.p, &cw, &ch, &cb)
	return int(cw), int(ch)
}

// pages gives how many pages a stacked image holds and the height of one.
func (im *vipsImage) pages() (n, pageHeight int) {
	var cn, ch C.int
	C.op_pages(im.p, &cn, &ch)
	return int(cn), int(ch)
}

// point reads the bands of the pixel at (x, y).
func (im *vipsImage) point(x, y int) ([]float64, error) {
	var values [8]C.double
	var n C.int
	if C.op_point(im.p, C.int(x), C.int(y), &values[0], C.int(len(values)), &n) != 0 {
		return nil, opError("read pixel")
	}
	out := make([]float64, min(int(n), len(values)))
	for i := range out {
		out[i] = float64(values[i])
	}
	return out, nil
}

func (im *vipsImage) resize(w, h int) (*vipsImage, error) {
	return newImage("resize", func(out **C.VipsImage) C.int {
		return C.op_resize(im.p, out, C.int(w), C.int(h))
	})
}

func (im *vipsImage) extract(r rect) (*vipsImage, error) {
	return newImage("crop", func(out **C.VipsImage) C.int {
		return C.op_extract(im.p, out, C.int(r.x), C.int(r.y), C.int(r.w), C.int(r.h))
	})
}

// embed places the image at (at.x, at.y) in an at.w x at.h canvas of colour bg.
func (im *vipsImage) embed(at rect, bg Color) (*vipsImage, error) {
	rgba := cColor(bg)
	return newImage("pad", func(out **C.VipsImage) C.int {
		return C.op_embed(im.p, out, C.int(at.x), C.int(at.y), C.int(at.w), C.int(at.h), &rgba[0])
	})
}

func (im *vipsImage) smartCrop(w, h int) (*vipsImage, error) {
	return newImage("smart crop", func(out **C.VipsImage) C.int {
		return C.op_smartcrop(im.p, out, C.int(w), C.int(h))
	})
}

func (im *vipsImage) orient(d dihedral) (*vipsImage, error) {
	turns, flip := d.turnsThenFlip()
	return newImage("rotate", func(out **C.VipsImage) C.int {
		return C.op_orient(im.p, out, C.int(turns), cBool(flip))
	})
}

// rotate turns the image degrees clockwise inside a larger canvas of colour bg.
func (im *vipsImage) rotate(degrees float64, bg Color) (*vipsImage, error) {
	rgba := cColor(bg)
	return newImage("rotate", func(out **C.VipsImage) C.int {
		return C.op_rotate(im.p, out, C.double(degrees), &rgba[0])
	})
}

func (im *vipsImage) blur(sigma float64) (*vipsImage, error) {
	return newImage("blur", func(out **C.VipsImage) C.int {
		return C.op_blur(im.p, out, C.double(sigma))
	})
}

func (im *vipsImage) sharpen(sigma, m1, m2 float64) (*vipsImage, error) {
	return newImage("sharpen", func(out **C.VipsImage) C.int {
		return C.op_sharpen(im.p, out, C.double(sigma), C.double(m1), C.double(m2))
	})
}

func (im *vipsImage) grayscale() (*vipsImage, error) {
	return newImage("grayscale", func(out **C.VipsImage) C.int {
		return C.op_grayscale(im.p, out)
	})
}

// threshold makes pixels with a luminance of at least level (0-255) white, the others black.
func (im *vipsImage) threshold(level float64) (*vipsImage, error) {
	return newImage("black and white", func(out **C.VipsImage) C.int {
		return C.op_threshold(im.p, out, C.double(level))
	})
}

// recomb maps each colour c to m·c + offset (m row-major).
func (im *vipsImage) recomb(doing string, m [9]float64, offset [3]float64) (*vipsImage, error) {
	var cm [9]C.double
	var co [3]C.double
	for i, v := range m {
		cm[i] = C.double(v)
	}
	for i, v := range offset {
		co[i] = C.double(v)
	}
	return newImage(doing, func(out **C.VipsImage) C.int {
		return C.op_recomb(im.p, out, &cm[0], &co[0])
	})
}

func (im *vipsImage) saturation(factor float64) (*vipsImage, error) {
	return newImage("saturation", func(out **C.VipsImage) C.int {
		return C.op_saturation(im.p, out, C.double(factor))
	})
}

func (im *vipsImage) gamma(exponent float64) (*vipsImage, error) {
	return newImage("gamma", func(out **C.VipsImage) C.int {
		return C.op_gamma(im.p, out, C.double(exponent))
	})
}

func (im *vipsImage) pixelate(block int) (*vipsImage, error) {
	return newImage("pixelate", func(out **C.VipsImage) C.int {
		return C.op_pixelate(im.p, out, C.int(block))
	})
}

// tint blends amount (0-1) of lut[luminance] over each pixel's colour.
func (im *vipsImage) tint(lut *[256 * 3]byte, amount float64) (*vipsImage, error) {
	return newImage("tint", func(out **C.VipsImage) C.int {
		return C.op_tint(im.p, out, (*C.uchar)(unsafe.Pointer(&lut[0])), C.double(amount))
	})
}

func (im *vipsImage) vignette(strength float64) (*vipsImage, error) {
	return newImage("vignette", func(out **C.VipsImage) C.int {
		return C.op_vignette(im.p, out, C.double(strength))
	})
}

// percent finds the value below which percent of band's pixels lie (band -1: luminance).
func (im *vipsImage) percent(band int, percent float64) (int, error) {
	var v C.int
	if C.op_percent(im.p, C.int(band), C.double(percent), &v) != 0 {
		return 0, opError("measure levels")
	}
	return int(v), nil
}

// findTrim finds the box outside of which pixels are within threshold of bg; with useAlpha
// and an alpha band, outside of which pixels are fully transparent.
func (im *vipsImage) findTrim(bg Color, useAlpha bool, threshold float64) (rect, error) {
	rgb := [3]C.double{C.double(bg.R), C.double(bg.G), C.double(bg.B)}
	var l, t, w, h C.int
	if C.op_find_trim(im.p, &rgb[0], cBool(useAlpha), C.double(threshold), &l, &t, &w, &h) != 0 {
		return rect{}, opError("find trim")
	}
	return rect{x: int(l), y: int(t), w: int(w), h: int(h)}, nil
}

func (im *vipsImage) round(radii [4]int, ellipse bool) (*vipsImage, error) {
	cr := cRadii(radii)
	return newImage("round corners", func(out **C.VipsImage) C.int {
		return C.op_round(im.p, out, &cr[0], cBool(ellipse))
	})
}

func (im *vipsImage) border(width int, color Color, radii [4]int, ellipse, rounded bool) (*vipsImage, error) {
	rgba := cColor(color)
	cr := cRadii(radii)
	return newImage("border", func(out **C.VipsImage) C.int {
		return C.op_border(im.p, out, C.int(width), &rgba[0], &cr[0], cBool(ellipse), cBool(rounded))
	})
}

func (im *vipsImage) opacity(factor float64) (*vipsImage, error) {
	return newImage("opacity", func(out **C.VipsImage) C.int {
		return C.op_opacity(im.p, out, C.double(factor))
	})
}

// composite lays layer over the image (under it when under) with layer's top-left at (x, y).
func (im *vipsImage) composite(layer *vipsImage, x, y int, under bool) (*vipsImage, error) {
	return newImage("composite layer", func(out **C.VipsImage) C.int {
		return C.op_composite(im.p, layer.p, out, C.int(x), C.int(y), cBool(under))
	})
}

// renderText draws Pango markup in font ("Family Bold 20") in color on transparency.
func renderText(markup, font string, color Color) (*vipsImage, error) {
	cm := C.CString(markup)
	defer C.free(unsafe.Pointer(cm))
	cf := C.CString(font)
	defer C.free(unsafe.Pointer(cf))
	rgba := cColor(color)
	return newImage("render text", func(out **C.VipsImage) C.int {
		return C.op_text(out, cm, cf, &rgba[0])
	})
}

// joinFrames stacks equal-sized frames into one animation timed like like.
func joinFrames(frames []*vipsImage, like *vipsImage) (*vipsImage, error) {
	ptrs := C.malloc(C.size_t(len(frames)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	defer C.free(ptrs)
	arr := unsafe.Slice((**C.VipsImage)(ptrs), len(frames))
	for i, f := range frames {
		arr[i] = f.p
	}
	return newImage("join frames", func(out **C.VipsImage) C.int {
		return C.op_join((**C.VipsImage)(ptrs), C.int(len(frames)), like.p, out)
	})
}

// Encoders of save, by Cloudinary format name.
var shimFormats = map[string]C.int{
	"jpg":  C.OP_JPEG,
	"png":  C.OP_PNG,
	"webp": C.OP_WEBP,
	"avif": C.OP_AVIF,
	"heic": C.OP_HEIC,
	"gif":  C.OP_GIF,
	"tiff": C.OP_TIFF,
}

// save encodes the image as e.format.
func (im *vipsImage) save(e encoding) ([]byte, error) {
	o := C.op_save_options{
		format:        shimFormats[e.format],
		quality:       C.int(e.quality),
		interlace:     cBool(e.progressive),
		strip:         cBool(!e.keepMetadata),
		strip_profile: cBool(e.stripProfile),
		palette:       cBool(e.lossy && e.format == "png"),
		gif_lossy:     cBool(e.lossy && e.format == "gif"),
	}
	o.background[0] = C.double(e.background.R)
	o.background[1] = C.double(e.background.G)
	o.background[2] = C.double(e.background.B)
	var buf unsafe.Pointer
	var n C.size_t
	if C.op_save(im.p, &o, &buf, &n) != 0 {
		return nil, opError("encode " + e.format)
	}
	defer C.op_free(buf)
	return bytes.Clone(unsafe.Slice((*byte)(buf), int(n))), nil
}

// disableOperationCache stops libvips keeping finished operations. bimg loads from Go memory
// without a copy, and libvips keys cached loads by buffer address: a later buffer at a
// recycled address could be served the old image. Execute's work is one pass per image,
// where the cache saves nothing.
func disableOperationCache() { C.op_disable_cache() }

func cColor(c Color) [4]C.double {
	return [4]C.double{C.double(c.R), C.double(c.G), C.double(c.B), C.double(c.A)}
}

func cRadii(r [4]int) [4]C.int {
	return [4]C.int{C.int(r[0]), C.int(r[1]), C.int(r[2]), C.int(r[3])}
}
