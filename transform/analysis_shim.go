package transform

/*
#cgo pkg-config: vips
#include "analysis_shim.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"strings"
	"unsafe"
)

// analysisImage is a small copy of an image as packed 8-bit sRGB, row by row.
type analysisImage struct {
	width, height int
	rgb           []byte // 3 bytes a pixel
}

// vipsAnalysisPixels decodes b into an upright, opaque sRGB copy that fits a
// size x size box, shrinking on load where the format allows.
func vipsAnalysisPixels(b []byte, size int) (analysisImage, error) {
	if err := startVips(); err != nil {
		return analysisImage{}, err
	}
	var out unsafe.Pointer
	var w, h C.int
	var msg *C.char
	if C.cl_analysis_pixels(unsafe.Pointer(&b[0]), C.size_t(len(b)), C.int(size), &out, &w, &h, &msg) != 0 {
		defer C.cl_analysis_free(unsafe.Pointer(msg))
		text := strings.TrimSpace(C.GoString(msg))
		if text == "" {
			text = "libvips failed without a message"
		}
		return analysisImage{}, errors.New("decode image for analysis: " + strings.ReplaceAll(text, "\n", "; "))
	}
	defer C.cl_analysis_free(out)
	n := int(w) * int(h) * 3
	return analysisImage{
		width:  int(w),
		height: int(h),
		rgb:    bytes.Clone(unsafe.Slice((*byte)(out), n)),
	}, nil
}
