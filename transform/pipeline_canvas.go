package transform

import "fmt"

// size is an image's width and height in pixels.
type size struct{ w, h int }

func (s size) zero() bool { return s == size{} }

func (s size) pixels() int64 { return int64(s.w) * int64(s.h) }

// rect is an area of an image: its top-left corner and size.
type rect struct{ x, y, w, h int }

func (r rect) size() size { return size{r.w, r.h} }

func (r rect) zero() bool { return r == rect{} }

// canvas is the image between steps. It starts as the encoded source and stays encoded while
// the steps ask only for what one bimg call on those bytes can do: a resize (shrinking on
// load), then a crop, then a blur. Turns by quarters and mirrors (EXIF orientation, a_90...)
// wait behind that call: the call works on the pixels as stored, its geometry mapped back
// through the turn, and the turn is applied to the small result. The first other operation
// brings the image into the shim ("live"): the queued bimg call runs with a lossless TIFF as
// output, and the shim decodes it. When nothing else follows, the queued call encodes the
// final format itself: no intermediate at all.
type canvas struct {
	enc    []byte   // encoded image that bimg reads; nil once live
	tagged bool     // enc carries an EXIF orientation other than 1
	job    bimgJob  // work queued for one bimg call on enc
	turn   dihedral // applied after job; job's geometry is in the stored frame
	img    *vipsImage
	cur    size             // the image's size once everything queued has run
	grow   func(size) error // refuses a size the limits do not allow
	// keepMetadata carries enc's EXIF, XMP and IPTC across the intermediate TIFF, whose
	// writer drops EXIF.
	keepMetadata bool
}

// encodedCanvas starts from encoded bytes of an image bimg reads, stored as stored and made
// upright by turn.
func encodedCanvas(b []byte, stored size, turn dihedral, tagged bool, grow func(size) error) *canvas {
	return &canvas{enc: b, tagged: tagged, turn: turn, cur: turn.size(stored), grow: grow}
}

// liveCanvas starts from an image the shim holds; the canvas owns it.
func liveCanvas(im *vipsImage, grow func(size) error) *canvas {
	w, h := im.size()
	return &canvas{img: im, cur: size{w, h}, grow: grow}
}

func (c *canvas) size() size { return c.cur }

func (c *canvas) release() {
	c.img.release()
	c.img = nil
	c.enc = nil
}

// queue records a new size for work queued rather than run.
func (c *canvas) queue(s size) error {
	if err := c.checkGrowth(s); err != nil {
		return err
	}
	c.cur = s
	return nil
}

func (c *canvas) checkGrowth(s size) error {
	if s.w < 1 || s.h < 1 {
		return fmt.Errorf("%w: the transformation leaves an empty image (%dx%d)", ErrInvalid, s.w, s.h)
	}
	if s.pixels() > c.cur.pixels() || s.w > c.cur.w || s.h > c.cur.h {
		return c.grow(s)
	}
	return nil
}

// live brings the image into the shim, running what is queued.
func (c *canvas) live() (*vipsImage, error) {
	if c.img != nil {
		return c.img, nil
	}
	var im *vipsImage
	var err error
	if c.job.empty() {
		im, err = loadImage(c.enc, 0, 1, false)
	} else {
		var tiff []byte
		if tiff, err = c.job.run(c.enc, intermediate()); err == nil {
			im, err = loadImage(tiff, 0, 1, false)
		}
		if err == nil && c.keepMetadata {
			var kept *vipsImage
			kept, err = im.withMetadataOf(c.enc)
			im.release()
			im = kept
		}
	}
	if err != nil {
		return nil, err
	}
	if !c.turn.identity() {
		turned, err := im.orient(c.turn)
		im.release()
		if err != nil {
			return nil, err
		}
		im = turned
	}
	if w, h := im.size(); (size{w, h}) != c.cur {
		im.release()
		return nil, fmt.Errorf("transform: planned a %dx%d image, libvips made %dx%d", c.cur.w, c.cur.h, w, h)
	}
	c.img, c.enc, c.job, c.turn = im, nil, bimgJob{}, dihedral{}
	return im, nil
}

// take moves the live image out of the canvas to the caller.
func (c *canvas) take() (*vipsImage, error) {
	im, err := c.live()
	if err != nil {
		return nil, err
	}
	c.img = nil
	return im, nil
}

// apply replaces the live image with f's result.
func (c *canvas) apply(f func(*vipsImage) (*vipsImage, error)) error {
	im, err := c.live()
	if err != nil {
		return err
	}
	next, err := f(im)
	if err != nil {
		return err
	}
	w, h := next.size()
	if err := c.checkGrowth(size{w, h}); err != nil {
		next.release()
		return err
	}
	im.release()
	c.img, c.cur = next, size{w, h}
	return nil
}

func (c *canvas) queued() bool { return c.img == nil }

// resize scales the image to exactly s.
func (c *canvas) resize(s size) error {
	if s == c.cur {
		return nil
	}
	if c.queued() && c.job.empty() {
		if err := c.queue(s); err != nil {
			return err
		}
		c.job.resize = c.turn.before(s)
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.resize(s.w, s.h) })
}

// extract keeps area r.
func (c *canvas) extract(r rect) error {
	if r.x == 0 && r.y == 0 && r.size() == c.cur {
		return nil
	}
	if c.queued() && c.job.resizeOnly() {
		crop := c.turn.rectBefore(r, c.cur)
		if err := c.queue(r.size()); err != nil {
			return err
		}
		c.job.crop = crop
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.extract(r) })
}

// smartCrop keeps the s-sized area libvips' attention finds most interesting. It always runs
// in the shim, on a rendered image: bimg's own attention crop analyses its lazy resize
// pipeline, recomputing it pass after pass (200 ms instead of 10 for a 1920x1280 JPEG).
func (c *canvas) smartCrop(s size) error {
	if s == c.cur {
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.smartCrop(s.w, s.h) })
}

// blur applies a gaussian blur of sigma.
func (c *canvas) blur(sigma float64) error {
	if c.queued() && !c.job.empty() && c.job.blur == 0 {
		c.job.blur = sigma
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.blur(sigma) })
}

// orient turns or mirrors the image by d.
func (c *canvas) orient(d dihedral) error {
	if d.identity() {
		return nil
	}
	if c.queued() {
		c.turn = c.turn.then(d)
		c.cur = d.size(c.cur)
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.orient(d) })
}

// embed places the image at (at.x, at.y) of an at.w x at.h canvas filled with bg.
func (c *canvas) embed(at rect, bg Color) error {
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.embed(at, bg) })
}

// encodeQueued writes the final format with the queued bimg call, when that call is all that
// is left to do and bimg can write e; ok is false otherwise.
func (c *canvas) encodeQueued(e encoding) (b []byte, ok bool, err error) {
	if !c.queued() || c.job.empty() || !c.turn.identity() || !e.bimgWrites() {
		return nil, false, nil
	}
	// bimg would copy the source's orientation tag into kept metadata.
	if e.keepMetadata && c.tagged {
		return nil, false, nil
	}
	b, err = c.job.run(c.enc, e.bimgOptions())
	return b, err == nil, err
}
