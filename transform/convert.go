package transform

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedFormat is wrapped by Convert's error for a target format that
// cloudlet does not know or this libvips cannot write.
var ErrUnsupportedFormat = errors.New("transform: unsupported format")

// outputFormat is how Convert writes one target format.
type outputFormat struct {
	suffix   string // libvips saver suffix
	options  string // libvips save options
	animated bool   // keeps every frame of a multi-page source
	alpha    bool   // keeps transparency; without it alpha is flattened onto white
}

// outputFormats are the targets of Convert by Cloudinary format name. Lossy
// formats are written at quality 90: the result replaces the original, and
// every derived image starts from it.
var outputFormats = map[string]outputFormat{
	"jpg":  {suffix: ".jpg", options: "[Q=90]"},
	"jpeg": {suffix: ".jpg", options: "[Q=90]"},
	"jpe":  {suffix: ".jpg", options: "[Q=90]"},
	"png":  {suffix: ".png", alpha: true},
	"webp": {suffix: ".webp", options: "[Q=90]", animated: true, alpha: true},
	"gif":  {suffix: ".gif", animated: true, alpha: true},
	"avif": {suffix: ".avif", options: "[Q=90]", alpha: true},
	"heic": {suffix: ".heic", options: "[Q=90]", alpha: true},
	"heif": {suffix: ".heic", options: "[Q=90]", alpha: true},
	"tiff": {suffix: ".tif", alpha: true},
	"tif":  {suffix: ".tif", alpha: true},
	"jp2":  {suffix: ".jp2", alpha: true},
	"jxl":  {suffix: ".jxl", alpha: true},
	"bmp":  {suffix: ".bmp", alpha: true},
}

// Convert re-encodes an image into format ("jpg","png","webp","gif","avif","tiff"...), for the upload `format` parameter.
// An unknown/unsupported target format returns an error wrapping ErrUnsupportedFormat.
//
// A still image comes out upright (EXIF orientation applied, tag removed) with
// its other metadata kept. An animation keeps all its frames when the target
// can animate (gif, webp) and becomes its first frame otherwise. Transparency
// is flattened onto white for targets without alpha (jpg).
func Convert(b []byte, format string) ([]byte, error) {
	name := strings.ToLower(strings.TrimPrefix(format, "."))
	out, ok := outputFormats[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedFormat, format)
	}
	if !vipsSaveSupported(out.suffix) {
		return nil, fmt.Errorf("%w: %q: this libvips cannot write it", ErrUnsupportedFormat, format)
	}
	info, err := Probe(b)
	if err != nil {
		return nil, err
	}
	// Only animations stay animated: a multi-page TIFF or PDF becomes its
	// first page, as it would in a JPEG.
	animation := info.Pages > 1 && (info.Format == "gif" || info.Format == "webp")
	converted, err := vipsConvert(b, out.suffix, out.options, out.animated && animation, !out.alpha)
	if err != nil {
		return nil, fmt.Errorf("convert %s to %s: %w", info.Format, name, err)
	}
	return converted, nil
}

// MIMEType returns the Content-Type for a Cloudinary format name ("jpg" → "image/jpeg", "txt"/unknown → "application/octet-stream" etc.; include common video/raw ones: mp4, webm, mov, pdf, json, txt → text/plain; charset=utf-8, svg → image/svg+xml).
func MIMEType(format string) string {
	if t, ok := mimeTypes[strings.ToLower(strings.TrimPrefix(format, "."))]; ok {
		return t
	}
	return "application/octet-stream"
}

var mimeTypes = map[string]string{
	// images
	"jpg":  "image/jpeg",
	"jpeg": "image/jpeg",
	"jpe":  "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"webp": "image/webp",
	"avif": "image/avif",
	"heic": "image/heic",
	"heif": "image/heif",
	"tiff": "image/tiff",
	"tif":  "image/tiff",
	"bmp":  "image/bmp",
	"ico":  "image/x-icon",
	"svg":  "image/svg+xml",
	"jp2":  "image/jp2",
	"jxl":  "image/jxl",
	"psd":  "image/vnd.adobe.photoshop",
	"tga":  "image/x-tga",
	"wdp":  "image/vnd.ms-photo",
	"jxr":  "image/vnd.ms-photo",
	"pdf":  "application/pdf",
	"eps":  "application/postscript",
	"ps":   "application/postscript",
	"ai":   "application/postscript",
	// video
	"mp4":  "video/mp4",
	"m4v":  "video/mp4",
	"webm": "video/webm",
	"mov":  "video/quicktime",
	"ogv":  "video/ogg",
	"avi":  "video/x-msvideo",
	"mkv":  "video/x-matroska",
	"flv":  "video/x-flv",
	"3gp":  "video/3gpp",
	"ts":   "video/mp2t",
	"m3u8": "application/vnd.apple.mpegurl",
	"mpd":  "application/dash+xml",
	// audio
	"mp3":  "audio/mpeg",
	"m4a":  "audio/mp4",
	"aac":  "audio/aac",
	"wav":  "audio/wav",
	"ogg":  "audio/ogg",
	"flac": "audio/flac",
	// raw
	"txt":   "text/plain; charset=utf-8",
	"csv":   "text/csv; charset=utf-8",
	"html":  "text/html; charset=utf-8",
	"css":   "text/css; charset=utf-8",
	"js":    "text/javascript; charset=utf-8",
	"json":  "application/json",
	"xml":   "application/xml",
	"zip":   "application/zip",
	"gz":    "application/gzip",
	"woff":  "font/woff",
	"woff2": "font/woff2",
	"ttf":   "font/ttf",
	"otf":   "font/otf",
}

// CanWrite says whether this libvips can encode format (AVIF, for one, needs an encoder plugin
// that not every libheif build has).
func CanWrite(format string) bool {
	out, ok := outputFormats[strings.ToLower(format)]
	return ok && vipsSaveSupported(out.suffix)
}
