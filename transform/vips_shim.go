package transform

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include "vips_shim.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"unsafe"
)

// vipsHeader is what libvips reads from an image's header.
type vipsHeader struct {
	loader    string // loader nickname without its "_source"/"_buffer" ending: "jpegload", "heifload"...
	subformat string // heif-compression or magick-format, when the loader sets one
	width     int
	height    int // of one page
	pages     int
	hasAlpha  bool
	// orientation is the EXIF orientation libvips parsed, 0 when absent.
	orientation int
	exif        []byte // the raw exif-data block, nil when absent
}

var (
	vipsOnce    sync.Once
	vipsInitErr error
)

// startVips starts libvips on first use. bimg starts it too when imported;
// vips_init makes the second start a no-op, so either may go first.
func startVips() error {
	vipsOnce.Do(func() {
		if C.cl_init() != 0 {
			vipsInitErr = vipsError("start libvips", C.cl_init_error())
		}
	})
	return vipsInitErr
}

// vipsError makes libvips' messages, which it frees, an error about doing.
func vipsError(doing string, msg *C.char) error {
	defer C.cl_free(unsafe.Pointer(msg))
	text := strings.TrimSpace(C.GoString(msg))
	if text == "" {
		text = "libvips failed without a message"
	}
	return errors.New(doing + ": " + strings.ReplaceAll(text, "\n", "; "))
}

// vipsProbe loads the header of b without decoding pixels.
func vipsProbe(b []byte) (vipsHeader, error) {
	if err := startVips(); err != nil {
		return vipsHeader{}, err
	}
	var h C.cl_header
	var msg *C.char
	if C.cl_probe(unsafe.Pointer(&b[0]), C.size_t(len(b)), &h, &msg) != 0 {
		return vipsHeader{}, vipsError("read image header", msg)
	}
	defer C.cl_free(h.exif)

	out := vipsHeader{
		loader:      loaderName(C.GoString(&h.loader[0])),
		subformat:   C.GoString(&h.subformat[0]),
		width:       int(h.width),
		height:      int(h.height),
		pages:       int(h.pages),
		hasAlpha:    h.has_alpha != 0,
		orientation: int(h.orientation),
	}
	if h.exif != nil {
		out.exif = bytes.Clone(unsafe.Slice((*byte)(h.exif), int(h.exif_len)))
	}
	return out, nil
}

// vipsVerify decodes every pixel of b, all pages of a multi-page image,
// failing on decoder warnings as well as errors.
func vipsVerify(b []byte, pages int) error {
	if err := startVips(); err != nil {
		return err
	}
	var msg *C.char
	if C.cl_verify(unsafe.Pointer(&b[0]), C.size_t(len(b)), C.int(pages), &msg) != 0 {
		return vipsError("decode image", msg)
	}
	return nil
}

// vipsSaveSupported reports whether this libvips can write files with suffix (".jpg").
func vipsSaveSupported(suffix string) bool {
	if known, ok := saveSupported.Load(suffix); ok {
		return known.(bool)
	}
	if startVips() != nil {
		return false
	}
	cs := C.CString(suffix)
	defer C.free(unsafe.Pointer(cs))
	supported := C.cl_save_supported(cs) != 0
	saveSupported.Store(suffix, supported)
	return supported
}

// saveSupported remembers vipsSaveSupported's answers: the savers of a running libvips never
// change, and delivery asks on every request.
var saveSupported sync.Map // suffix → bool

// vipsConvert loads b (all pages when allPages, else the first, turned
// upright), flattens alpha onto white when flatten, and saves it as suffix
// with libvips save options ("[Q=90]").
func vipsConvert(b []byte, suffix, options string, allPages, flatten bool) ([]byte, error) {
	if err := startVips(); err != nil {
		return nil, err
	}
	cs := C.CString(suffix)
	defer C.free(unsafe.Pointer(cs))
	co := C.CString(options)
	defer C.free(unsafe.Pointer(co))

	var out unsafe.Pointer
	var n C.size_t
	var msg *C.char
	if C.cl_convert(unsafe.Pointer(&b[0]), C.size_t(len(b)), cs, co, cBool(allPages), cBool(flatten), &out, &n, &msg) != 0 {
		return nil, vipsError("convert image to "+strings.TrimPrefix(suffix, "."), msg)
	}
	defer C.cl_free(out)
	return bytes.Clone(unsafe.Slice((*byte)(out), int(n))), nil
}

// loaderName drops the input kind from a loader nickname: libvips loads
// memory through a source loader when the format has one and falls back to the
// buffer loader (magickload_buffer) when it has not.
func loaderName(nickname string) string {
	return strings.TrimSuffix(strings.TrimSuffix(nickname, "_source"), "_buffer")
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
