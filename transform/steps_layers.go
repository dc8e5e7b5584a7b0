package transform

import (
	"errors"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// layerGroup is a layer and the components that belong to it: the declaring one (l_ or u_,
// whose other parameters apply to the layer image), those up to an fl_layer_apply (they
// transform the layer too), and the one that places it on the image (g_, x_, y_, o_): the
// fl_layer_apply component, or the declaring one when none follows.
type layerGroup struct {
	decl  *Component
	inner []Component
	place *Component
	next  int // index of the first component after the group
}

func groupLayer(comps []Component, i int) layerGroup {
	for j := i + 1; j < len(comps); j++ {
		if comps[j].Flags.LayerApply {
			return layerGroup{decl: &comps[i], inner: comps[i+1 : j], place: &comps[j], next: j + 1}
		}
	}
	return layerGroup{decl: &comps[i], place: &comps[i], next: i + 1}
}

// applyLayer lays g's layer over (or under) the image.
func (r *run) applyLayer(c *canvas, g layerGroup) error {
	base := c.size()
	layer, err := r.prepareLayer(g, base)
	if err != nil {
		return err
	}
	lw, lh := layer.size()
	p := g.place
	x, y := place(p.Gravity, base, size{lw, lh}, r.offset(p, p.X, base.w), r.offset(p, p.Y, base.h))
	under := g.decl.Underlay != nil
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.composite(layer, x, y, under) })
}

// prepareLayer makes g's layer image, once per Execute: every frame of an animation gets
// the same one.
func (r *run) prepareLayer(g layerGroup, base size) (*vipsImage, error) {
	if im, ok := r.prepared[g.decl]; ok {
		return im, nil
	}
	spec := g.decl.Overlay
	if spec == nil {
		spec = g.decl.Underlay
	}
	sub := &run{ctx: r.ctx, layers: r.layers, lim: r.lim, keepAlpha: true, base: &base, prepared: r.prepared}
	var c *canvas
	var err error
	if spec.Text != nil {
		c, err = sub.textLayer(spec.Text, g.decl)
	} else {
		c, err = sub.imageLayer(spec.PublicID, g.decl)
	}
	if err != nil {
		return nil, err
	}
	defer c.release()
	sub.initial = c.size()

	own := *g.decl
	own.Overlay, own.Underlay = nil, nil
	if g.place == g.decl {
		// These place the layer on the image rather than crop it.
		own.Gravity, own.X, own.Y = "", Length{}, Length{}
	}
	comps := append([]Component{own}, g.inner...)
	if err := sub.runComponents(c, comps); err != nil {
		return nil, err
	}
	if p := g.place; p != g.decl && p.Opacity.Set && p.Opacity.Value < 100 {
		f := float64(max(p.Opacity.Value, 0)) / 100
		if err := c.apply(func(im *vipsImage) (*vipsImage, error) { return im.opacity(f) }); err != nil {
			return nil, err
		}
	}
	im, err := c.take()
	if err != nil {
		return nil, err
	}
	r.prepared[g.decl] = im
	return im, nil
}

// imageLayer starts a layer from a stored image.
func (r *run) imageLayer(publicID string, decl *Component) (*canvas, error) {
	if r.layers == nil {
		return nil, fmt.Errorf("%w: layer %q: %w", ErrInvalid, publicID, ErrLayerNotFound)
	}
	b, err := r.layers(publicID)
	if err != nil {
		if errors.Is(err, ErrLayerNotFound) {
			return nil, fmt.Errorf("%w: layer %q: %w", ErrInvalid, publicID, err)
		}
		return nil, fmt.Errorf("transform: load layer %q: %w", publicID, err)
	}
	info, err := probeGeometry(b)
	if err != nil {
		return nil, fmt.Errorf("%w: layer %q: %w", ErrInvalid, publicID, err)
	}
	return r.sourceCanvas(b, info, 0, uprightTurn(info, decl.Angle.Ignore))
}

// textLayer renders l_text: in co_ (default black), the font size multiplied by dpr_.
func (r *run) textLayer(t *TextLayer, decl *Component) (*canvas, error) {
	if strings.TrimSpace(t.Text) == "" {
		return nil, fmt.Errorf("%w: empty text layer", ErrInvalid)
	}
	fontSize := float64(t.Size)
	if decl.DPR.Value > 0 {
		fontSize *= decl.DPR.Value
	}
	if fontSize < 1 || fontSize > maxSide {
		return nil, fmt.Errorf("%w: text size %g", ErrInvalid, fontSize)
	}
	font := []string{t.Font}
	if t.Font == "" {
		font[0] = "sans"
	}
	if t.Bold {
		font = append(font, "Bold")
	}
	if t.Italic {
		font = append(font, "Italic")
	}
	font = append(font, strconv.Itoa(int(math.Round(fontSize))))
	col := decl.Color
	if !col.Set {
		col = black
	}
	// vips_text reads Pango markup: the text must not be taken for tags.
	im, err := renderText(html.EscapeString(t.Text), strings.Join(font, " "), col)
	if err != nil {
		return nil, err
	}
	return liveCanvas(im, r.grow), nil
}
