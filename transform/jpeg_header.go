package transform

import (
	"bytes"
	"encoding/binary"
)

// JPEG headers are read here in Go, without libvips: its header load copies the whole file and
// parses all of its EXIF, which on a busy server costs a fifth of a millisecond per image.

// walkJPEG calls visit with each marker segment of a JPEG's header (marker, payload after the
// length), in order, until visit returns false or the first scan starts. It reports false when
// the header is malformed before that.
func walkJPEG(b []byte, visit func(marker byte, payload []byte) bool) bool {
	for i := 2; i+1 < len(b); {
		if b[i] != 0xff {
			return false
		}
		marker := b[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01: // no length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return true
		}
		if i+4 > len(b) {
			return false
		}
		length := int(b[i+2])<<8 | int(b[i+3])
		end := i + 2 + length
		if length < 2 || end > len(b) {
			return false
		}
		if !visit(marker, b[i+4:end]) {
			return true
		}
		i = end
	}
	return false
}

// isFrameHeader reports whether marker starts a frame: SOF0-SOF15, except DHT (c4), JPG (c8)
// and DAC (cc).
func isFrameHeader(marker byte) bool {
	return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc
}

// jpegComponents reads the number of colour components from a JPEG's frame header (4 for
// CMYK), 0 when it finds none.
func jpegComponents(b []byte) int {
	n := 0
	walkJPEG(b, func(marker byte, payload []byte) bool {
		if isFrameHeader(marker) && len(payload) >= 6 {
			n = int(payload[5])
			return false
		}
		return true
	})
	return n
}

// jpegGeometry is probeGeometry for a JPEG: size from the frame header and orientation from the
// EXIF block, as libvips reads them. ok is false when b is not a JPEG or its header holds
// anything this does not follow (no frame header, an EXIF block it cannot read, two EXIF
// blocks): libvips then reads it.
func jpegGeometry(b []byte) (info Info, ok bool) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return Info{}, false
	}
	exifBlocks, exifOK := 0, true
	walked := walkJPEG(b, func(marker byte, payload []byte) bool {
		switch {
		case marker == 0xe1 && bytes.HasPrefix(payload, []byte("Exif\x00\x00")):
			exifBlocks++
			info.Orientation, exifOK = exifOrientation(payload[6:])
			return exifOK && exifBlocks == 1
		case isFrameHeader(marker) && len(payload) >= 6:
			info.Height = int(payload[1])<<8 | int(payload[2])
			info.Width = int(payload[3])<<8 | int(payload[4])
		}
		return true // to the first scan: an EXIF block may follow the frame header
	})
	if !walked || !exifOK || exifBlocks > 1 || info.Width == 0 || info.Height == 0 {
		return Info{}, false
	}
	info.Format, info.Pages = "jpg", 1
	return info, true
}

// exifOrientation reads the Orientation tag (0x0112, one SHORT) of IFD0 in an EXIF block's
// TIFF structure: 2-8, or 0 for none or 1 (as orientationOf treats libvips' value). ok is false
// when the structure does not read.
func exifOrientation(tiff []byte) (orientation int, ok bool) {
	if len(tiff) < 8 {
		return 0, false
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0, false
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 0, false
	}
	ifd := int(order.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 0, false
	}
	entries := int(order.Uint16(tiff[ifd:]))
	for k := range entries {
		e := ifd + 2 + 12*k
		if e+12 > len(tiff) {
			return 0, false
		}
		if order.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		if order.Uint16(tiff[e+2:]) != 3 || order.Uint32(tiff[e+4:]) != 1 { // one SHORT
			return 0, false
		}
		if o := int(order.Uint16(tiff[e+8:])); o >= 2 && o <= 8 {
			return o, true
		}
		return 0, true
	}
	return 0, true
}
