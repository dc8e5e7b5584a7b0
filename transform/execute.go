package transform

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Source is the image to transform and what Probe learned about it.
type Source struct {
	Bytes []byte
	Info  Info
}

// LayerLoader returns the stored bytes of an image asset used by l_/u_ (public id with "/").
// It returns an error wrapping ErrLayerNotFound when there is none.
type LayerLoader func(publicID string) ([]byte, error)

// ErrLayerNotFound is wrapped by a LayerLoader's error for a public id it does not have.
var ErrLayerNotFound = errors.New("transform: layer image not found")

// ErrInvalid is wrapped by errors caused by the request (impossible geometry, output too large, a
// missing layer...): the caller answers 400 with the message. Other errors are internal (500).
var ErrInvalid = errors.New("transform: invalid transformation")

var errEmptyImage = errors.New("transform: empty image")

// Limits bound what one Execute may make.
type Limits struct {
	MaxOutputPixels int64 // refuse (ErrInvalid) outputs larger than this, before encoding
}

// Output is an encoded result.
type Output struct {
	Bytes         []byte
	Format        string // what Bytes is ("jpg", "png", "webp", "avif", "gif", "heic")
	Width, Height int    // Height of one frame for an animation
}

var (
	executeOnce sync.Once
	executeErr  error
)

func startExecute() error {
	executeOnce.Do(func() {
		if executeErr = startVips(); executeErr == nil {
			disableOperationCache()
		}
	})
	return executeErr
}

// Execute applies chain to src and encodes the result as format (already resolved: never
// "auto"). It honours ctx cancellation between steps.
//
// Each component applies to the previous one's result, its parameters in a fixed order of
// steps (see componentSteps). The common path, a resize of a still image written in one
// format, is one bimg call on src.Bytes; the rest runs in a small libvips shim.
func Execute(ctx context.Context, src Source, chain Chain, format string, layers LayerLoader, lim Limits) (Output, error) {
	if err := startExecute(); err != nil {
		return Output{}, err
	}
	if err := ctx.Err(); err != nil {
		return Output{}, err
	}
	info := src.Info
	if info.Width == 0 || info.Height == 0 {
		var err error
		if info, err = probeGeometry(src.Bytes); err != nil {
			return Output{}, err
		}
	}
	enc, err := newEncoding(chain, format)
	if err != nil {
		return Output{}, err
	}
	r := &run{
		ctx:          ctx,
		layers:       layers,
		lim:          lim,
		keepAlpha:    enc.hasAlpha(),
		keepMetadata: enc.keepMetadata,
		prepared:     map[*Component]*vipsImage{},
	}
	defer r.releaseLayers()

	page := pageOf(chain)
	if page > info.Pages {
		return Output{}, fmt.Errorf("%w: pg_%d of an image with %d page(s)", ErrInvalid, page, info.Pages)
	}
	turn := uprightTurn(info, ignoresOrientation(chain))
	r.initial = turn.size(size{info.Width, info.Height})

	if animates(info, enc, chain, page) {
		return r.executeFrames(src.Bytes, turn, chain, enc)
	}
	c, err := r.sourceCanvas(src.Bytes, info, page, turn)
	if err != nil {
		return Output{}, err
	}
	defer c.release()
	if err := r.runComponents(c, chain.Components); err != nil {
		return Output{}, err
	}
	enc.background = r.flattenColor()
	return r.finish(c, enc)
}

// sourceCanvas starts from the source: encoded for bimg when bimg reads it and the default
// page is wanted, else decoded by the shim (pg_N is page N, 1-based).
func (r *run) sourceCanvas(b []byte, info Info, page int, turn dihedral) (*canvas, error) {
	stored := size{info.Width, info.Height}
	if page <= 1 && bimgReads(info.Format, b) {
		c := encodedCanvas(b, stored, turn, info.Orientation > 1, r.grow)
		c.keepMetadata = r.keepMetadata
		return c, nil
	}
	im, err := loadImage(b, max(page-1, 0), 1, page > 1)
	if err != nil {
		return nil, err
	}
	c := liveCanvas(im, r.grow)
	if err := c.orient(turn); err != nil {
		c.release()
		return nil, err
	}
	return c, nil
}

// bimgReads reports whether the source goes to bimg: JPEG and WebP, which it shrinks while
// decoding, and PNG and GIF. The shim's loader takes the rest, CMYK JPEGs included: bimg
// would convert those to sRGB and then try the CMYK profile on the result.
func bimgReads(format string, b []byte) bool {
	switch format {
	case "jpg":
		return jpegComponents(b) != 4
	case "webp", "png", "gif":
		return true
	}
	return false
}

// pageOf is the chain's last pg_, 0 when none.
func pageOf(chain Chain) int {
	page := 0
	for _, c := range chain.Components {
		if c.Page > 0 {
			page = c.Page
		}
	}
	return page
}

// uprightTurn is what makes the source upright: its EXIF orientation, unless a_ignore. HEIF
// and AVIF keep their rotation in the container, which libheif applies while decoding; the
// EXIF tag some of them also carry must not turn them a second time.
func uprightTurn(info Info, ignore bool) dihedral {
	if ignore || info.Format == "heic" || info.Format == "avif" {
		return dihedral{}
	}
	return exifDihedral(info.Orientation)
}

// ignoresOrientation reports whether a_ignore appears: the EXIF orientation is not applied.
func ignoresOrientation(chain Chain) bool {
	for _, c := range chain.Components {
		if c.Angle.Ignore {
			return true
		}
	}
	return false
}

func (r *run) releaseLayers() {
	for k, im := range r.prepared {
		im.release()
		delete(r.prepared, k)
	}
}
