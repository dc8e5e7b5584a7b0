package transform

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"reflect"
	"testing"
)

// libvipsGeometry is probeGeometry as libvips alone reads it.
func libvipsGeometry(t *testing.T, b []byte) Info {
	t.Helper()
	info, h, err := probeHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	info.Orientation = orientationOf(nil, h.orientation)
	return info
}

// bigEndianOrientation is withOrientation with a Motorola-order EXIF block, after other tags.
func bigEndianOrientation(jpg []byte, o int) []byte {
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM")
	binary.Write(&tiff, be, uint16(42))
	binary.Write(&tiff, be, uint32(8))
	binary.Write(&tiff, be, uint16(2))
	for _, e := range [][2]uint16{{0x010f, 0}, {0x0112, uint16(o)}} { // Make (empty), Orientation
		binary.Write(&tiff, be, e[0])
		binary.Write(&tiff, be, uint16(3))
		binary.Write(&tiff, be, uint32(1))
		binary.Write(&tiff, be, e[1])
		binary.Write(&tiff, be, uint16(0))
	}
	binary.Write(&tiff, be, uint32(0))
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(append(out, seg...), payload...)
	return append(out, jpg[2:]...)
}

// TestJPEGGeometryMatchesLibvips: what Execute learns of a JPEG from the Go reader is what the
// libvips header load says: size, orientation (every value, both byte orders), format, pages.
func TestJPEGGeometryMatchesLibvips(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 37, 21))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	plain := jpegOf(t, img)
	cases := map[string][]byte{"plain": plain, "photo.jpg": readTestdata(t, "photo.jpg")}
	for o := 1; o <= 8; o++ {
		cases[fmt.Sprint("II orientation ", o)] = withOrientation(plain, o)
		cases[fmt.Sprint("MM orientation ", o)] = bigEndianOrientation(plain, o)
	}
	// An EXIF block after the frame header: moved from after SOI to after SOF0.
	late := withOrientation(plain, 6)
	seg := late[2 : 2+2+int(binary.BigEndian.Uint16(late[4:]))]
	rest := append([]byte{}, late[2+len(seg):]...)
	sof := bytes.Index(rest, []byte{0xff, 0xc0})
	sofEnd := sof + 2 + int(binary.BigEndian.Uint16(rest[sof+2:]))
	cases["EXIF after the frame header"] = append(append(append(append([]byte{}, late[:2]...), rest[:sofEnd]...), seg...), rest[sofEnd:]...)
	gray := image.NewGray(image.Rect(0, 0, 5, 9))
	var g bytes.Buffer
	if err := jpeg.Encode(&g, gray, nil); err != nil {
		t.Fatal(err)
	}
	cases["grey"] = g.Bytes()
	if got, _ := jpegGeometry(cases["EXIF after the frame header"]); got.Orientation != 6 {
		t.Errorf("EXIF after the frame header: orientation %d, want 6", got.Orientation)
	}
	for name, b := range cases {
		got, ok := jpegGeometry(b)
		if !ok {
			t.Errorf("%s: not read in Go", name)
			continue
		}
		if want := libvipsGeometry(t, b); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Go reads %+v, libvips %+v", name, got, want)
		}
	}
}

// TestJPEGGeometryLeavesTheUnreadableToLibvips: what the Go reader does not follow is not
// guessed at.
func TestJPEGGeometryLeavesTheUnreadableToLibvips(t *testing.T) {
	plain := jpegOf(t, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	longOrientation := withOrientation(plain, 6)
	// The entry's type SHORT (3) becomes LONG (4): not the layout libvips' reader expects either.
	i := bytes.Index(longOrientation, []byte{0x12, 0x01, 3, 0})
	longOrientation[i+2] = 4
	for name, b := range map[string][]byte{
		"png":              readTestdata(t, "alpha.png"),
		"truncated header": plain[:20],
		"LONG orientation": longOrientation,
		"bad TIFF order":   bytes.Replace(withOrientation(plain, 3), []byte("Exif\x00\x00II"), []byte("Exif\x00\x00XX"), 1),
		"two EXIF blocks":  withOrientation(withOrientation(plain, 3), 6),
	} {
		if info, ok := jpegGeometry(b); ok {
			t.Errorf("%s: read as %+v", name, info)
		}
	}
}
