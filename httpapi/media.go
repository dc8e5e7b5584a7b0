package httpapi

import (
	"bytes"
	"path"
	"strings"
)

// sniffVideo names a video container by its first bytes, "" when it is not one this server
// recognises. (HEIC and AVIF images share the ISO-BMFF "ftyp" box with MP4; callers try the
// image probe first.)
func sniffVideo(head []byte) string {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		if string(head[8:12]) == "qt  " {
			return "mov"
		}
		return "mp4"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "webm"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "AVI ":
		return "avi"
	case bytes.HasPrefix(head, []byte("OggS")):
		return "ogv"
	}
	return ""
}

// fileExt is a file name's extension, lowercase, without the dot.
func fileExt(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}
