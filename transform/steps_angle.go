package transform

import "math"

// dihedral is one of the eight ways to turn or mirror an image that keep its pixels on the
// grid: the image is transposed (when t), then mirrored left-right (fx), then top-bottom (fy).
// The zero value leaves the image as it is.
type dihedral struct {
	t, fx, fy bool
}

// matrix is how d moves a point (x, y) measured from the image centre, y pointing down.
func (d dihedral) matrix() [2][2]int {
	m := [2][2]int{{1, 0}, {0, 1}}
	if d.t {
		m = [2][2]int{{0, 1}, {1, 0}}
	}
	if d.fx {
		m[0][0], m[0][1] = -m[0][0], -m[0][1]
	}
	if d.fy {
		m[1][0], m[1][1] = -m[1][0], -m[1][1]
	}
	return m
}

func dihedralOf(m [2][2]int) dihedral {
	if m[0][0] == 0 {
		// m = F·T, so F = m·T: swap the columns.
		return dihedral{t: true, fx: m[0][1] < 0, fy: m[1][0] < 0}
	}
	return dihedral{fx: m[0][0] < 0, fy: m[1][1] < 0}
}

// then is d followed by e.
func (d dihedral) then(e dihedral) dihedral {
	a, b := e.matrix(), d.matrix()
	var m [2][2]int
	for i := range 2 {
		for j := range 2 {
			m[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j]
		}
	}
	return dihedralOf(m)
}

func (d dihedral) identity() bool { return d == dihedral{} }

// quarterTurns turns clockwise by n quarters (negative: anticlockwise).
func quarterTurns(n int) dihedral {
	switch ((n % 4) + 4) % 4 {
	case 1:
		return dihedral{t: true, fx: true}
	case 2:
		return dihedral{fx: true, fy: true}
	case 3:
		return dihedral{t: true, fy: true}
	}
	return dihedral{}
}

// turnsThenFlip writes d as clockwise quarter turns followed by an optional left-right mirror,
// the two operations libvips has.
func (d dihedral) turnsThenFlip() (turns int, flip bool) {
	for turns = range 4 {
		r := quarterTurns(turns)
		if r == d {
			return turns, false
		}
		if r.then(dihedral{fx: true}) == d {
			return turns, true
		}
	}
	panic("unreachable: every dihedral is turns then an optional flip")
}

// exifDihedral is what makes an image stored with EXIF orientation o (1-8) upright.
func exifDihedral(o int) dihedral {
	switch o {
	case 2:
		return dihedral{fx: true}
	case 3:
		return dihedral{fx: true, fy: true}
	case 4:
		return dihedral{fy: true}
	case 5:
		return dihedral{t: true}
	case 6:
		return dihedral{t: true, fx: true}
	case 7:
		return dihedral{t: true, fx: true, fy: true}
	case 8:
		return dihedral{t: true, fy: true}
	}
	return dihedral{}
}

// size gives the size of an image of size s after d.
func (d dihedral) size(s size) size {
	if d.t {
		return size{s.h, s.w}
	}
	return s
}

// before maps a size wanted after d to the size it must have before d.
func (d dihedral) before(s size) size { return d.size(s) }

// rectBefore maps r, a rectangle of the image after d (whose size is after), to the same
// pixels before d.
func (d dihedral) rectBefore(r rect, after size) rect {
	if d.fx {
		r.x = after.w - r.x - r.w
	}
	if d.fy {
		r.y = after.h - r.y - r.h
	}
	if d.t {
		r = rect{x: r.y, y: r.x, w: r.h, h: r.w}
	}
	return r
}

// quarterAngle reports whether degrees is a whole number of quarter turns, and how many.
func quarterAngle(degrees float64) (int, bool) {
	q := degrees / 90
	if q != math.Trunc(q) {
		return 0, false
	}
	return int(math.Mod(q, 4)), true
}

// stepAngle applies a_'s turns by quarters and mirrors, and auto_right/auto_left, before the
// size: auto_* turn the image so that its orientation matches the one asked for.
func stepAngle(r *run, c *canvas, comp *Component) error {
	a := comp.Angle
	var d dihedral
	if a.HasDegrees {
		if n, ok := quarterAngle(a.Degrees); ok {
			d = quarterTurns(n)
		}
	}
	if a.AutoRight || a.AutoLeft {
		w, h := r.targetBox(comp, c.size())
		cur := d.size(c.size())
		if w > 0 && h > 0 && w != h && cur.w != cur.h && (w > h) != (cur.w > cur.h) {
			if a.AutoRight {
				d = d.then(quarterTurns(1))
			} else {
				d = d.then(quarterTurns(-1))
			}
		}
	}
	if a.HFlip {
		d = d.then(dihedral{fx: true})
	}
	if a.VFlip {
		d = d.then(dihedral{fy: true})
	}
	return c.orient(d)
}

// stepRotate turns by an angle that is not a whole number of quarters, after the size: the
// canvas grows to hold the turned image, the corners filled with the background.
func stepRotate(r *run, c *canvas, comp *Component) error {
	a := comp.Angle
	if !a.HasDegrees {
		return nil
	}
	if _, ok := quarterAngle(a.Degrees); ok {
		return nil
	}
	bg := r.fillColor(comp)
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.rotate(a.Degrees, bg) })
}
