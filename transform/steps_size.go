package transform

import (
	"fmt"
	"math"
)

// geometry is what a component's size and crop parameters do to the image, in order: scale
// to resize, keep crop (or the crop-sized area attention picks, when smart), then pad into a
// pad.w x pad.h box with the image at (pad.x, pad.y).
type geometry struct {
	resize size // zero: keep the size
	crop   rect // zero: keep everything
	smart  bool
	pad    rect // zero: no padding
}

// length is l in pixels; ref is the dimension fractions are taken of.
func (r *run) length(l Length, ref int) float64 {
	switch l.Kind {
	case Pixels:
		return l.Value
	case Fraction:
		return l.Value * float64(ref)
	case InitialWidth:
		return l.Value * float64(r.initial.w)
	case InitialHeight:
		return l.Value * float64(r.initial.h)
	}
	return 0
}

// reference is the size fractions in comp's w_ and h_ are taken of: the image, or with
// fl_relative in a layer, the image the layer is laid on.
func (r *run) reference(comp *Component, cur size) size {
	if comp.Flags.Relative && r.base != nil {
		return *r.base
	}
	return cur
}

// targetBox is the box comp asks for, in pixels (0: not given): w_ and h_, the missing one
// derived from ar_, both multiplied by dpr_.
func (r *run) targetBox(comp *Component, cur size) (w, h float64) {
	ref := r.reference(comp, cur)
	w, h = r.length(comp.Width, ref.w), r.length(comp.Height, ref.h)
	if ar := comp.AspectRatio; ar > 0 {
		switch {
		case w > 0 && h == 0:
			h = w / ar
		case h > 0 && w == 0:
			w = h * ar
		}
	}
	if dpr := comp.DPR.Value; dpr > 0 {
		w, h = w*dpr, h*dpr
	}
	return w, h
}

// offset is an x_ or y_ in pixels; fractions are of ref.
func (r *run) offset(comp *Component, l Length, ref int) int {
	v := r.length(l, ref)
	if l.Kind == Pixels && comp.DPR.Value > 0 {
		v *= comp.DPR.Value
	}
	return int(math.Round(v))
}

func pixels(v float64) int { return max(1, int(math.Round(v))) }

func scaled(s size, by float64) size {
	return size{pixels(float64(s.w) * by), pixels(float64(s.h) * by)}
}

// fitScale is the scale that fits cur inside w x h (either may be 0: not given).
func fitScale(w, h float64, cur size) float64 {
	sw, sh := w/float64(cur.w), h/float64(cur.h)
	switch {
	case w > 0 && h > 0:
		return min(sw, sh)
	case w > 0:
		return sw
	}
	return sh
}

// ratioBox is the box ar_ alone asks for: the largest with that ratio inside the image for
// cropping modes, the smallest around it for padding modes, the width kept for scale.
func ratioBox(mode CropMode, ar float64, cur size) (w, h float64) {
	cw, ch := float64(cur.w), float64(cur.h)
	wider := cw/ch > ar
	switch mode {
	case CropPad, CropLPad, CropMPad:
		if wider {
			return cw, cw / ar
		}
		return ch * ar, ch
	case CropFill, CropLFill, CropFillPad, CropCrop, CropThumb:
		if wider {
			return ch * ar, ch
		}
		return cw, cw / ar
	case CropScale:
		return cw, cw / ar
	}
	return 0, 0
}

func smartGravity(g Gravity) bool {
	return g == GravityAuto || g == GravityFace || g == GravityFaces
}

// place is the top-left corner of inner placed in outer at gravity g, moved x and y away from
// the gravity's edges (right and down from the centre), as Cloudinary offsets are.
func place(g Gravity, outer, inner size, x, y int) (left, top int) {
	switch g {
	case GravityNorthWest, GravityWest, GravitySouthWest:
		left = x
	case GravityNorthEast, GravityEast, GravitySouthEast:
		left = outer.w - inner.w - x
	default:
		left = (outer.w-inner.w)/2 + x
	}
	switch g {
	case GravityNorthWest, GravityNorth, GravityNorthEast:
		top = y
	case GravitySouthWest, GravitySouth, GravitySouthEast:
		top = outer.h - inner.h - y
	default:
		top = (outer.h-inner.h)/2 + y
	}
	return left, top
}

// planGeometry works out comp's size and crop on an image of size cur (Cloudinary's crop
// modes; see CLOUDINARY-API.md §5).
func (r *run) planGeometry(comp *Component, cur size) (geometry, error) {
	w, h := r.targetBox(comp, cur)
	if w < 0 || h < 0 {
		return geometry{}, fmt.Errorf("%w: negative width or height", ErrInvalid)
	}
	mode := comp.Crop
	if mode == "" {
		mode = CropScale
	}
	if w == 0 && h == 0 {
		if comp.AspectRatio <= 0 {
			return geometry{}, nil
		}
		w, h = ratioBox(mode, comp.AspectRatio, cur)
		if w == 0 {
			return geometry{}, nil
		}
	}
	var g geometry
	switch mode {
	case CropScale:
		if w == 0 {
			w = h * float64(cur.w) / float64(cur.h)
		}
		if h == 0 {
			h = w * float64(cur.h) / float64(cur.w)
		}
		g.resize = size{pixels(w), pixels(h)}

	case CropFit, CropLimit, CropMFit:
		g.resize = scaled(cur, bounded(mode, fitScale(w, h, cur)))

	case CropFill, CropLFill, CropFillPad, CropThumb:
		if w == 0 || h == 0 {
			// One side given: nothing to crop, the other side follows the aspect ratio.
			g.resize = scaled(cur, bounded(mode, fitScale(w, h, cur)))
			break
		}
		s := max(w/float64(cur.w), h/float64(cur.h))
		if mode == CropThumb && comp.Zoom > 1 {
			s *= comp.Zoom
		}
		g.resize = scaled(cur, bounded(mode, s))
		box := size{min(pixels(w), g.resize.w), min(pixels(h), g.resize.h)}
		if box != g.resize {
			g.crop = rect{w: box.w, h: box.h}
			if mode == CropFillPad || smartGravity(comp.Gravity) {
				g.smart = true
			} else {
				g.crop.x, g.crop.y = place(comp.Gravity, g.resize, box, 0, 0)
			}
		}

	case CropPad, CropLPad, CropMPad:
		if w == 0 || h == 0 {
			g.resize = scaled(cur, bounded(mode, fitScale(w, h, cur)))
			break
		}
		g.resize = scaled(cur, bounded(mode, fitScale(w, h, cur)))
		box := size{max(pixels(w), g.resize.w), max(pixels(h), g.resize.h)}
		if box != g.resize {
			x, y := place(comp.Gravity, box, g.resize, 0, 0)
			g.pad = rect{x: x, y: y, w: box.w, h: box.h}
		}

	case CropCrop:
		box := cur
		if w > 0 {
			box.w = min(pixels(w), cur.w)
		}
		if h > 0 {
			box.h = min(pixels(h), cur.h)
		}
		if smartGravity(comp.Gravity) {
			g.crop, g.smart = rect{w: box.w, h: box.h}, true
			break
		}
		gravity := comp.Gravity
		if gravity == "" && (comp.X.Set() || comp.Y.Set()) {
			gravity = GravityNorthWest
		}
		x, y := place(gravity, cur, box, r.offset(comp, comp.X, cur.w), r.offset(comp, comp.Y, cur.h))
		g.crop = rect{x: clamp(x, 0, cur.w-box.w), y: clamp(y, 0, cur.h-box.h), w: box.w, h: box.h}

	default:
		return geometry{}, fmt.Errorf("%w: crop mode %q is not supported", ErrInvalid, mode)
	}
	if g.resize == cur {
		g.resize = size{}
	}
	if g.crop.x == 0 && g.crop.y == 0 && !g.smart && g.crop.size() == g.sizeAfterResize(cur) {
		g.crop = rect{}
	}
	return g, nil
}

func (g geometry) sizeAfterResize(cur size) size {
	if g.resize.zero() {
		return cur
	}
	return g.resize
}

// bounded applies the l (never enlarge) and m (never reduce) variants of the modes to scale s.
func bounded(mode CropMode, s float64) float64 {
	switch mode {
	case CropLimit, CropLFill, CropLPad:
		return min(s, 1)
	case CropMFit, CropMPad:
		return max(s, 1)
	}
	return s
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// stepSize applies w_, h_, ar_, dpr_, c_, g_, x_, y_ and z_.
func stepSize(r *run, c *canvas, comp *Component) error {
	g, err := r.planGeometry(comp, c.size())
	if err != nil {
		return err
	}
	if !g.resize.zero() {
		if err := c.resize(g.resize); err != nil {
			return err
		}
	}
	switch {
	case g.smart:
		err = c.smartCrop(g.crop.size())
	case !g.crop.zero():
		err = c.extract(g.crop)
	}
	if err != nil {
		return err
	}
	if !g.pad.zero() {
		return c.embed(g.pad, r.fillColor(comp))
	}
	return nil
}
