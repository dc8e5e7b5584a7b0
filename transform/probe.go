package transform

import (
	"errors"
	"fmt"
	"strconv"
)

// Info is what an upload learns about an image before it is stored.
type Info struct {
	Format      string            // Cloudinary format name: "jpg", "png", "gif", "webp", "avif", "heic", "tiff", "svg", "pdf", "bmp"... (lowercase; "jpg" not "jpeg")
	Width       int               // width of one page/frame
	Height      int               // height of ONE page/frame for multi-page images (GIF frames, PDF pages)
	Pages       int               // number of pages/frames, 1 for still images
	HasAlpha    bool              // the image has an alpha band (for a GIF: it declares a transparent colour)
	Orientation int               // EXIF orientation 1..8, 0 when absent
	EXIF        map[string]string // flat EXIF tags by name ("Make", "Model", "Orientation", "GPSLatitude", "DateTimeOriginal"...) → display value; nil when none
}

// ErrNotImage is wrapped by every error about bytes that are not an image
// cloudlet accepts, or that do not decode.
var ErrNotImage = errors.New("transform: not a supported image")

// loaderFormats maps a libvips loader to the Cloudinary format name of what it
// loaded; heifload and magickload are told apart in formatOf. Loaders missing
// here (matrix, csv, fits, vips, rad...) read formats cloudlet does not accept
// as images, so their output is ErrNotImage.
var loaderFormats = map[string]string{
	"jpegload": "jpg",
	"pngload":  "png",
	"gifload":  "gif",
	"webpload": "webp",
	"tiffload": "tiff",
	"svgload":  "svg",
	"pdfload":  "pdf",
	"jp2kload": "jp2",
	"jxlload":  "jxl",
}

// magickFormats are the ImageMagick formats accepted, by magick-format.
var magickFormats = map[string]string{
	"BMP":  "bmp",
	"BMP2": "bmp",
	"BMP3": "bmp",
	"ICO":  "ico",
	"PSD":  "psd",
	"TGA":  "tga",
}

// formatOf names the format of a loaded header, or "" when it is not one
// cloudlet accepts.
func formatOf(h vipsHeader) string {
	switch h.loader {
	case "heifload":
		if h.subformat == "av1" {
			return "avif"
		}
		return "heic"
	case "magickload":
		return magickFormats[h.subformat]
	}
	return loaderFormats[h.loader]
}

// Probe reads the header only (no pixel decode): format, dimensions, pages, alpha, EXIF.
// Bytes that are not an image libvips can load return an error wrapping ErrNotImage.
func Probe(b []byte) (Info, error) {
	info, h, err := probeHeader(b)
	if err != nil {
		return Info{}, err
	}
	info.EXIF = flatEXIF(h.exif)
	// TIFF keeps its tags in its own IFD0 rather than an EXIF block.
	if info.EXIF == nil && info.Format == "tiff" {
		info.EXIF = flatEXIF(b)
	}
	info.Orientation = orientationOf(info.EXIF, h.orientation)
	return info, nil
}

// probeGeometry is Probe without the EXIF tags, which cost more to read than the rest: what
// Execute needs of a source it is given without its Info. The orientation is libvips' own
// reading of the same tag. A JPEG's header is read in Go (jpegGeometry).
func probeGeometry(b []byte) (Info, error) {
	if info, ok := jpegGeometry(b); ok {
		return info, nil
	}
	info, h, err := probeHeader(b)
	if err != nil {
		return Info{}, err
	}
	info.Orientation = orientationOf(nil, h.orientation)
	return info, nil
}

// probeHeader reads the header: format, geometry, pages and alpha.
func probeHeader(b []byte) (Info, vipsHeader, error) {
	if len(b) == 0 {
		return Info{}, vipsHeader{}, fmt.Errorf("%w: empty input", ErrNotImage)
	}
	h, err := vipsProbe(b)
	if err != nil {
		return Info{}, vipsHeader{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	format := formatOf(h)
	if format == "" {
		return Info{}, vipsHeader{}, fmt.Errorf("%w: libvips loader %s (%s) is not an accepted image format", ErrNotImage, h.loader, h.subformat)
	}
	info := Info{Format: format, Width: h.width, Height: h.height, Pages: max(h.pages, 1), HasAlpha: h.hasAlpha}
	// jp2kload counts a JPEG 2000's resolution levels as pages.
	if format == "jp2" {
		info.Pages = 1
	}
	return info, h, nil
}

// orientationOf prefers the EXIF tag; libvips' own value stands in when the
// block did not parse, except a plain 1, which some loaders (magickload) set
// when the file says nothing.
func orientationOf(tags map[string]string, fromVips int) int {
	if o, err := strconv.Atoi(tags["Orientation"]); err == nil && o >= 1 && o <= 8 {
		return o
	}
	if fromVips >= 2 && fromVips <= 8 {
		return fromVips
	}
	return 0
}

// Verify fully decodes the image and fails on any decoder error or warning-level corruption
// (truncated JPEG/PNG/GIF/WebP must fail). Call it only after the caller checked Width*Height*Pages against its pixel limit.
// Its errors wrap ErrNotImage: bytes that do not decode are not an image cloudlet can use.
func Verify(b []byte) error {
	info, err := Probe(b)
	if err != nil {
		return err
	}
	if err := vipsVerify(b, info.Pages); err != nil {
		return fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	// libnsgif (libvips 8.14) drops a cut-off last frame, or even decodes
	// what is left of it, without a word at any fail_on level.
	if info.Format == "gif" && gifTruncated(b) {
		return fmt.Errorf("%w: decode image: GIF data ends inside a block", ErrNotImage)
	}
	return nil
}

// gifTruncated walks the block structure of a GIF (no decoding) and reports
// whether the data stops inside a block. Ending between blocks without the
// trailer, or meeting an unknown block, is left to the decoder to judge.
func gifTruncated(b []byte) bool {
	const header, screen = 6, 7
	at := header + screen
	if len(b) < at {
		return true
	}
	if flags := b[header+4]; flags&0x80 != 0 {
		at += 3 << (flags&0x07 + 1) // global colour table
	}
	// subBlocks skips a chain of sub-blocks ending in a zero-length one.
	subBlocks := func() bool {
		for at < len(b) {
			n := int(b[at])
			at += 1 + n
			if n == 0 {
				return at <= len(b)
			}
		}
		return false
	}
	for at < len(b) {
		switch b[at] {
		case 0x3b: // trailer
			return false
		case 0x21: // extension: introducer, label, sub-blocks
			at += 2
			if !subBlocks() {
				return true
			}
		case 0x2c: // image: descriptor, local colour table, LZW code size, sub-blocks
			const descriptor = 10
			if at+descriptor > len(b) {
				return true
			}
			if flags := b[at+9]; flags&0x80 != 0 {
				at += 3 << (flags&0x07 + 1)
			}
			at += descriptor + 1
			if !subBlocks() {
				return true
			}
		default:
			return false
		}
	}
	return at > len(b)
}
