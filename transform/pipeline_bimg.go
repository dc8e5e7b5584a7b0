package transform

import (
	"fmt"

	"github.com/h2non/bimg"
)

// bimgJob is the work one bimg call does on encoded bytes, in the frame the pixels are stored
// in: shrink on load and resize, then a crop, then a blur. bimg runs them in that order
// whatever the options say, which is why a canvas only queues work in that order.
type bimgJob struct {
	resize size    // exact size to scale to; zero: none
	crop   rect    // area kept after resize; zero: all
	blur   float64 // gaussian sigma, after the rest
}

func (j bimgJob) empty() bool { return j.resize.zero() }

func (j bimgJob) resizeOnly() bool {
	return !j.resize.zero() && j.crop.zero() && j.blur == 0
}

// options are bimg's options for j, onto the output options o.
func (j bimgJob) options(o bimg.Options) bimg.Options {
	// Orientation is the canvas's business: bimg turns before it shrinks on load, which
	// makes it decode, turn and re-encode the whole JPEG (or, for WebP, lose the turn).
	o.NoAutoRotate = true
	// A no-op for images without a profile; the others become sRGB as they are written.
	o.OutputICC = "srgb"
	o.Width, o.Height, o.Force = j.resize.w, j.resize.h, true
	if !j.crop.zero() {
		o.Left, o.Top, o.AreaWidth, o.AreaHeight = j.crop.x, j.crop.y, j.crop.w, j.crop.h
	}
	if j.blur > 0 {
		o.GaussianBlur = bimg.GaussianBlur{Sigma: j.blur, MinAmpl: 0.2}
	}
	return o
}

func (j bimgJob) run(b []byte, out bimg.Options) ([]byte, error) {
	res, err := bimg.Resize(b, j.options(out))
	if err != nil {
		return nil, fmt.Errorf("transform: bimg: %w", err)
	}
	return res, nil
}

// intermediate is how a bimg call hands its result to the shim: uncompressed TIFF, lossless
// and about as cheap to write and read as raw pixels (bimg cannot write PNG without deflate).
func intermediate() bimg.Options {
	return bimg.Options{Type: bimg.TIFF}
}

var bimgTypes = map[string]bimg.ImageType{
	"jpg":  bimg.JPEG,
	"png":  bimg.PNG,
	"webp": bimg.WEBP,
	"avif": bimg.AVIF,
	"heic": bimg.HEIF,
	"gif":  bimg.GIF,
}

// bimgWrites reports whether bimg's encoder can write e as asked.
func (e encoding) bimgWrites() bool {
	_, ok := bimgTypes[e.format]
	// bimg's GIF writer takes no options.
	return ok && !(e.format == "gif" && e.lossy)
}

// bimgOptions are the output options of a final bimg call.
func (e encoding) bimgOptions() bimg.Options {
	o := bimg.Options{
		Type:          bimgTypes[e.format],
		Quality:       e.quality,
		Interlace:     e.progressive,
		StripMetadata: !e.keepMetadata,
		NoProfile:     e.stripProfile,
		Palette:       e.lossy && e.format == "png",
	}
	switch e.format {
	case "png":
		if o.Quality == 0 {
			o.Quality = 100 // bimg would quantise at 75
		}
	case "avif":
		o.Speed = 5 // bimg's default 0 is libvips' slowest effort
	case "jpg":
		// bimg flattens only onto colours other than black; libvips' JPEG writer flattens
		// onto black by itself.
		o.Background = bimg.Color{R: e.background.R, G: e.background.G, B: e.background.B}
	}
	return o
}
