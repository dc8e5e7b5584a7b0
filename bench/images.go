package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math/rand"
)

// photoJPEG is a width x height photo-like JPEG at quality 90: gradients and a fine pattern
// under per-pixel noise, so it compresses like a camera photo (about 470 KB at 1920x1280) and
// the decoder does real work, unlike a flat colour.
func photoJPEG(width, height int, seed int64) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	rng := rand.New(rand.NewSource(seed))
	for y := range height {
		row := img.Pix[y*img.Stride:]
		for x := range width {
			n := rng.Intn(13) - 6
			p := row[x*4 : x*4+4]
			p[0] = clampByte(x*230/width + 15 + n)
			p[1] = clampByte(y*200/height + 30 + n)
			p[2] = clampByte(((x/7)^(y/5))&0xff/2 + 60 + n)
			p[3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func clampByte(v int) uint8 { return uint8(max(0, min(255, v))) }

// withEXIF returns the JPEG b with an APP1 EXIF block after its SOI marker: Make, Model,
// Orientation and DateTime in IFD0, as a camera writes them, so an upload has EXIF to extract.
func withEXIF(b []byte) []byte {
	type entry struct {
		tag   uint16
		ascii string // ASCII value, NUL added here
		short uint16 // SHORT value when ascii is ""
	}
	entries := []entry{ // sorted by tag, as TIFF requires
		{tag: 0x010F, ascii: "cloudlet-bench"},
		{tag: 0x0110, ascii: "synthetic camera"},
		{tag: 0x0112, short: 1},
		{tag: 0x0132, ascii: "2024:05:01 12:00:00"},
	}
	le := binary.LittleEndian
	ifdSize := 2 + 12*len(entries) + 4
	var ifd, data []byte
	ifd = le.AppendUint16(ifd, uint16(len(entries)))
	dataOffset := 8 + ifdSize // TIFF header, then IFD0, then the values that do not fit inline
	for _, e := range entries {
		ifd = le.AppendUint16(ifd, e.tag)
		if e.ascii == "" {
			ifd = le.AppendUint16(ifd, 3) // SHORT
			ifd = le.AppendUint32(ifd, 1)
			ifd = le.AppendUint16(ifd, e.short)
			ifd = le.AppendUint16(ifd, 0)
			continue
		}
		value := append([]byte(e.ascii), 0)
		ifd = le.AppendUint16(ifd, 2) // ASCII
		ifd = le.AppendUint32(ifd, uint32(len(value)))
		ifd = le.AppendUint32(ifd, uint32(dataOffset+len(data)))
		data = append(data, value...)
	}
	ifd = le.AppendUint32(ifd, 0) // no next IFD
	payload := append([]byte("Exif\x00\x00II*\x00"), le.AppendUint32(nil, 8)...)
	payload = append(append(payload, ifd...), data...)
	out := make([]byte, 0, len(b)+len(payload)+4)
	out = append(out, b[:2]...) // SOI
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, b[2:]...)
}
