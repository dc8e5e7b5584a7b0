package transform

import "fmt"

// encoding is how the result is written.
type encoding struct {
	format       string // jpg, png, webp, avif, heic, gif
	quality      int    // 0: the encoder's default
	progressive  bool   // fl_progressive: interlaced JPEG or PNG
	lossy        bool   // fl_lossy: palette PNG, lossy GIF
	keepMetadata bool   // fl_keep_iptc; metadata is stripped otherwise
	stripProfile bool   // fl_strip_profile: drop the ICC profile even when keeping metadata
	animated     bool   // fl_animated
	background   Color  // what transparency is flattened on, for formats without alpha
}

func (e encoding) hasAlpha() bool { return e.format != "jpg" }

// deliveryFormats are the formats Execute writes, by the names callers may give.
var deliveryFormats = map[string]string{
	"jpg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "gif": "gif", "heic": "heic", "heif": "heic",
}

// newEncoding reads the output options from the whole chain: q_ (the last given) and the
// delivery flags, wherever they appear.
func newEncoding(chain Chain, format string) (encoding, error) {
	name, ok := deliveryFormats[NormalizeFormat(format)]
	if !ok {
		return encoding{}, fmt.Errorf("%w: cannot deliver format %q", ErrInvalid, format)
	}
	e := encoding{format: name, background: white}
	var q Quality
	for _, c := range chain.Components {
		if c.Quality != (Quality{}) {
			q = c.Quality
		}
		f := c.Flags
		e.progressive = e.progressive || f.Progressive
		e.lossy = e.lossy || f.Lossy
		e.keepMetadata = e.keepMetadata || f.KeepIPTC
		e.stripProfile = e.stripProfile || f.StripProfile
		e.animated = e.animated || f.Animated
	}
	e.quality = QualityFor(q, name)
	return e, nil
}

// flattenColor is the opaque colour transparency becomes in formats without alpha.
func (r *run) flattenColor() Color {
	if r.background.Set && r.background.A > 0 {
		return r.background
	}
	return white
}

// finish writes the result: with the queued bimg call when that is all that is left, else
// from the shim. The size was checked against the limits as each step planned it; the final
// check is for the source itself, when no step changed it.
func (r *run) finish(c *canvas, e encoding) (Output, error) {
	if err := r.grow(c.size()); err != nil {
		return Output{}, err
	}
	if err := r.ctx.Err(); err != nil {
		return Output{}, err
	}
	b, ok, err := c.encodeQueued(e)
	if err != nil {
		return Output{}, err
	}
	if ok {
		w, h, err := encodedSize(b)
		if err != nil {
			return Output{}, err
		}
		return Output{Bytes: b, Format: e.format, Width: w, Height: h}, nil
	}
	im, err := c.live()
	if err != nil {
		return Output{}, err
	}
	if b, err = im.save(e); err != nil {
		return Output{}, err
	}
	s := c.size()
	return Output{Bytes: b, Format: e.format, Width: s.w, Height: s.h}, nil
}
