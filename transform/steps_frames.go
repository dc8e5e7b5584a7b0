package transform

import "fmt"

// animates reports whether the output keeps every frame: an animated GIF or WebP (or any
// multi-page source with fl_animated) written as GIF or WebP, with no pg_ picking one page.
// Other outputs take the first page, or the one pg_ names.
func animates(info Info, e encoding, chain Chain, page int) bool {
	if page > 0 || info.Pages < 2 || (e.format != "gif" && e.format != "webp") {
		return false
	}
	return info.Format == "gif" || info.Format == "webp" || e.animated
}

// executeFrames runs the chain on each frame and writes the frames as one animation with the
// source's timing. Frames are processed one by one through the same steps as a still image;
// layers are prepared once and laid on every frame.
func (r *run) executeFrames(b []byte, turn dihedral, chain Chain, e encoding) (Output, error) {
	strip, err := loadImage(b, 0, -1, true)
	if err != nil {
		return Output{}, err
	}
	defer strip.release()
	n, pageHeight := strip.pages()
	width, _ := strip.size()

	var frames []*vipsImage
	defer func() {
		for _, f := range frames {
			f.release()
		}
	}()
	for i := range n {
		if err := r.ctx.Err(); err != nil {
			return Output{}, err
		}
		f, err := r.frame(strip, rect{y: i * pageHeight, w: width, h: pageHeight}, turn, chain)
		if err != nil {
			return Output{}, fmt.Errorf("frame %d: %w", i+1, err)
		}
		frames = append(frames, f)
		if fw, fh := f.size(); i > 0 {
			if w0, h0 := frames[0].size(); fw != w0 || fh != h0 {
				return Output{}, fmt.Errorf("%w: the transformation gives frames of different sizes (%dx%d, %dx%d)",
					ErrInvalid, w0, h0, fw, fh)
			}
		}
	}
	w, h := frames[0].size()
	if err := r.grow(size{w, h * n}); err != nil {
		return Output{}, err
	}
	joined, err := joinFrames(frames, strip)
	if err != nil {
		return Output{}, err
	}
	defer joined.release()
	e.background = r.flattenColor()
	out, err := joined.save(e)
	if err != nil {
		return Output{}, err
	}
	return Output{Bytes: out, Format: e.format, Width: w, Height: h}, nil
}

// frame runs chain on one frame of strip.
func (r *run) frame(strip *vipsImage, at rect, turn dihedral, chain Chain) (*vipsImage, error) {
	f, err := strip.extract(at)
	if err != nil {
		return nil, err
	}
	c := liveCanvas(f, r.grow)
	defer c.release()
	if err := c.orient(turn); err != nil {
		return nil, err
	}
	if err := r.runComponents(c, chain.Components); err != nil {
		return nil, err
	}
	return c.take()
}
