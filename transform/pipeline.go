package transform

import (
	"context"
	"fmt"
)

// run is one Execute: what the steps need besides the component they apply.
type run struct {
	ctx          context.Context
	layers       LayerLoader
	lim          Limits
	keepAlpha    bool                      // the result keeps transparency: output formats with alpha, and layers
	keepMetadata bool                      // fl_keep_iptc: the source's metadata goes into the result
	initial      size                      // the image as it came (upright), for iw and ih
	base         *size                     // in a layer's run: the image it is laid on, for fl_relative
	background   Color                     // b_ of the chain's last component that has one: what transparency is flattened on
	prepared     map[*Component]*vipsImage // layers ready to lay, by declaring component, shared by frames
}

// A step is one job applied for one component, in the fixed order of componentSteps.
type step func(r *run, c *canvas, comp *Component) error

// componentSteps are applied, in this order, for every component that does not declare a
// layer. Each is a no-op when its parameters are not given.
var componentSteps = []step{
	stepAngle,   // a_: quarter turns, mirrors, auto_right/auto_left
	stepSize,    // w_ h_ ar_ dpr_ c_ g_ x_ y_ z_
	stepRotate,  // a_: other angles
	stepEffect,  // e_
	stepRadius,  // r_
	stepBorder,  // bo_
	stepOpacity, // o_
}

// runComponents applies comps to c in order; a layer declaration takes the components that
// belong to its layer with it.
func (r *run) runComponents(c *canvas, comps []Component) error {
	for i := 0; i < len(comps); {
		comp := &comps[i]
		if len(comp.Named) > 0 {
			return fmt.Errorf("transform: named transformation %v reached execution unexpanded", comp.Named)
		}
		if comp.Overlay != nil || comp.Underlay != nil {
			g := groupLayer(comps, i)
			if err := r.ctx.Err(); err != nil {
				return err
			}
			if err := r.applyLayer(c, g); err != nil {
				return err
			}
			i = g.next
			continue
		}
		if comp.Background.Set {
			r.background = comp.Background
		}
		for _, s := range componentSteps {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			if err := s(r, c, comp); err != nil {
				return err
			}
		}
		i++
	}
	return nil
}

var (
	white       = Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	black       = Color{A: 255, Set: true}
	transparent = Color{Set: true}
)

// fillColor is what fills new pixels (padding, rotation corners): b_, else transparency
// where the result keeps it, else white.
func (r *run) fillColor(comp *Component) Color {
	switch {
	case comp.Background.Set:
		return comp.Background
	case r.keepAlpha:
		return transparent
	}
	return white
}

// maxSide is the largest width or height made: WebP's limit, and bimg's for crops.
const maxSide = 16383

// grow refuses to make an image of size s beyond the limits: the request asks for too much.
func (r *run) grow(s size) error {
	if s.w > maxSide || s.h > maxSide {
		return fmt.Errorf("%w: %dx%d is more than %d pixels on a side", ErrInvalid, s.w, s.h, maxSide)
	}
	if r.lim.MaxOutputPixels > 0 && s.pixels() > r.lim.MaxOutputPixels {
		return fmt.Errorf("%w: %dx%d is more than the %d pixels allowed", ErrInvalid, s.w, s.h, r.lim.MaxOutputPixels)
	}
	return nil
}
