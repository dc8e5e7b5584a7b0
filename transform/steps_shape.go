package transform

// rounded reports whether r_ asks for rounded corners.
func rounded(rad Radius) bool {
	return rad.Max || rad.Corners != [4]int{}
}

// stepRadius applies r_: the corners (or, with r_max, all but an ellipse) become
// transparent; formats without alpha get the background colour there when written.
func stepRadius(_ *run, c *canvas, comp *Component) error {
	rad := comp.Radius
	if !rounded(rad) {
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.round(rad.Corners, rad.Max) })
}

// stepBorder applies bo_: a band of the colour (default black) around the image, following
// its rounded corners.
func stepBorder(_ *run, c *canvas, comp *Component) error {
	b := comp.Border
	if b.Width <= 0 {
		return nil
	}
	col := b.Color
	if !col.Set {
		col = black
	}
	rad := comp.Radius
	return c.apply(func(im *vipsImage) (*vipsImage, error) {
		return im.border(b.Width, col, rad.Corners, rad.Max, rounded(rad))
	})
}

// stepOpacity applies o_: alpha multiplied by o/100.
func stepOpacity(_ *run, c *canvas, comp *Component) error {
	o := comp.Opacity
	if !o.Set || o.Value >= 100 {
		return nil
	}
	f := float64(max(o.Value, 0)) / 100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.opacity(f) })
}
