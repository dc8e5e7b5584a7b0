package transform

import (
	"bytes"
	"math/big"
	"strconv"
	"strings"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// maxEXIFValue caps one rendered value: long arrays (strip offsets, maker
// blobs) say nothing to a person reading metadata and would bloat the catalogue.
const maxEXIFValue = 512

// flatEXIF renders the EXIF block found in b as tag name → display value.
// It returns nil when there is no EXIF block or it does not parse: a broken
// block costs the metadata, never the upload.
//
// Rendering rules:
//   - ASCII: the text, trimmed of NULs and spaces.
//   - integers: decimal; several values are joined by spaces.
//   - rationals: reduced; decimal when exact in at most 6 places ("2.8",
//     "72"), else a fraction ("1/60").
//   - GPSLatitude, GPSLongitude, GPSDestLatitude, GPSDestLongitude: unsigned
//     decimal degrees with 6 places ("48.858370"); the hemisphere stays in
//     the matching ...Ref tag ("N", "E").
//   - GPSTimeStamp: "hh:mm:ss" (seconds keep their fraction when they have one).
//   - UNDEFINED: printable bytes as text (ExifVersion "0232"), UserComment
//     without its encoding prefix, up to 8 other bytes as decimals; longer
//     binary (MakerNote) is left out.
//
// Only the main image's IFD0 and its Exif, GPS and Interop sub-IFDs count;
// IFD1 describes the embedded thumbnail. Tags that only locate data inside
// the file (StripOffsets...) are left out. When a name repeats, the first wins.
func flatEXIF(b []byte) (tags map[string]string) {
	// go-exif turns malformed input into panics that it recovers itself, but
	// only when the panic value is an error; guard against the rest.
	defer func() {
		if recover() != nil {
			tags = nil
		}
	}()
	if len(b) == 0 {
		return nil
	}
	raw := b
	// A block from libvips starts "Exif\0\0"; a TIFF file is one already.
	if _, err := exif.ParseExifHeader(b); err != nil {
		if raw, err = exif.SearchAndExtractExif(b); err != nil {
			return nil
		}
	}

	mapping, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil
	}
	found := map[string]string{}
	visit := func(ite *exif.IfdTagEntry) error {
		if ite.ChildIfdPath() != "" || !mainIFD(ite.IfdIdentity()) {
			return nil
		}
		name := ite.TagName()
		if name == "" || layoutTags[name] {
			return nil
		}
		if _, seen := found[name]; seen {
			return nil
		}
		if v, ok := renderTag(ite); ok && v != "" && len(v) <= maxEXIFValue {
			found[name] = v
		}
		return nil
	}
	_, _, err = exif.Visit(exifcommon.IfdStandardIfdIdentity, mapping, exif.NewTagIndex(), raw, visit, nil)
	if err != nil || len(found) == 0 {
		return nil
	}
	return found
}

// layoutTags locate bytes inside the file (a TIFF's strips and tiles, the
// EXIF thumbnail): meaningless once the block is read, and often long.
var layoutTags = map[string]bool{
	"StripOffsets":                true,
	"StripByteCounts":             true,
	"TileOffsets":                 true,
	"TileByteCounts":              true,
	"FreeOffsets":                 true,
	"FreeByteCounts":              true,
	"JPEGInterchangeFormat":       true,
	"JPEGInterchangeFormatLength": true,
}

// mainIFD reports whether ii is IFD0 or one of its sub-IFDs ("IFD/Exif",
// "IFD/GPSInfo"), not IFD1 (the thumbnail) or a later page's IFD.
func mainIFD(ii *exifcommon.IfdIdentity) bool {
	root, _, _ := strings.Cut(ii.String(), "/")
	return root == "IFD"
}

func renderTag(ite *exif.IfdTagEntry) (string, bool) {
	if ite.TagType() == exifcommon.TypeUndefined {
		rawBytes, err := ite.GetRawBytes()
		if err != nil {
			return "", false
		}
		return renderUndefined(ite.TagName(), rawBytes)
	}
	value, err := ite.Value()
	if err != nil {
		return "", false
	}
	switch ite.TagName() {
	case "GPSLatitude", "GPSLongitude", "GPSDestLatitude", "GPSDestLongitude":
		if r, ok := value.([]exifcommon.Rational); ok && len(r) == 3 {
			return renderDegrees(r)
		}
	case "GPSTimeStamp":
		if r, ok := value.([]exifcommon.Rational); ok && len(r) == 3 {
			return renderClock(r)
		}
	}
	return renderValue(value)
}

func renderValue(value any) (string, bool) {
	switch v := value.(type) {
	case string:
		return strings.TrimSpace(strings.Trim(v, "\x00")), true
	case []uint8:
		return joinValues(v, func(x uint8) string { return strconv.FormatUint(uint64(x), 10) }), true
	case []uint16:
		return joinValues(v, func(x uint16) string { return strconv.FormatUint(uint64(x), 10) }), true
	case []uint32:
		return joinValues(v, func(x uint32) string { return strconv.FormatUint(uint64(x), 10) }), true
	case []int32:
		return joinValues(v, func(x int32) string { return strconv.FormatInt(int64(x), 10) }), true
	case []float32:
		return joinValues(v, func(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }), true
	case []float64:
		return joinValues(v, func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }), true
	case []exifcommon.Rational:
		return joinRatios(v, func(r exifcommon.Rational) (int64, int64) { return int64(r.Numerator), int64(r.Denominator) })
	case []exifcommon.SignedRational:
		return joinRatios(v, func(r exifcommon.SignedRational) (int64, int64) { return int64(r.Numerator), int64(r.Denominator) })
	}
	return "", false
}

func joinValues[T any](values []T, format func(T) string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = format(v)
	}
	return strings.Join(out, " ")
}

// joinRatios renders each numerator/denominator pair of values, space-separated; false when
// one of them has no rendering (a zero denominator).
func joinRatios[T any](values []T, parts func(T) (int64, int64)) (string, bool) {
	out := make([]string, len(values))
	for i, v := range values {
		s, ok := renderRatio(parts(v))
		if !ok {
			return "", false
		}
		out[i] = s
	}
	return strings.Join(out, " "), true
}

// renderRatio prints num/den reduced: a decimal when it is exact in at most
// 6 places ("2.8", "72"), else the fraction ("1/60").
func renderRatio(num, den int64) (string, bool) {
	if den == 0 {
		return "", false
	}
	r := big.NewRat(num, den)
	if r.IsInt() {
		return r.Num().String(), true
	}
	for places := 1; places <= 6; places++ {
		s := r.FloatString(places)
		if exact, ok := new(big.Rat).SetString(s); ok && exact.Cmp(r) == 0 {
			return s, true
		}
	}
	return r.String(), true
}

// renderDegrees turns degrees, minutes, seconds into decimal degrees.
func renderDegrees(dms []exifcommon.Rational) (string, bool) {
	var deg float64
	for i, scale := range []float64{1, 60, 3600} {
		if dms[i].Denominator == 0 {
			return "", false
		}
		deg += float64(dms[i].Numerator) / float64(dms[i].Denominator) / scale
	}
	return strconv.FormatFloat(deg, 'f', 6, 64), true
}

func renderClock(hms []exifcommon.Rational) (string, bool) {
	parts := make([]string, 3)
	for i, r := range hms {
		if r.Denominator == 0 {
			return "", false
		}
		s, _ := renderRatio(int64(r.Numerator), int64(r.Denominator))
		if whole, _, _ := strings.Cut(s, "."); len(whole) == 1 {
			s = "0" + s
		}
		parts[i] = s
	}
	return strings.Join(parts, ":"), true
}

// renderUndefined prints an UNDEFINED-typed value: text when it is text, a few
// bytes as numbers, nothing for longer binary blobs.
func renderUndefined(name string, b []byte) (string, bool) {
	if name == "UserComment" || name == "GPSProcessingMethod" || name == "GPSAreaInformation" {
		// An 8-byte character-code prefix; only ASCII is rendered.
		if len(b) < 8 || !bytes.HasPrefix(b, []byte("ASCII\x00\x00\x00")) {
			return "", false
		}
		b = b[8:]
	}
	text := bytes.TrimRight(b, "\x00 ")
	if len(text) > 0 && printable(text) {
		return string(text), true
	}
	if len(b) <= 8 {
		return joinValues(b, func(x byte) string { return strconv.Itoa(int(x)) }), true
	}
	return "", false
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
