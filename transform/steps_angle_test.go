package transform

import "testing"

func allDihedrals() []dihedral {
	var out []dihedral
	for _, t := range []bool{false, true} {
		for _, fx := range []bool{false, true} {
			for _, fy := range []bool{false, true} {
				out = append(out, dihedral{t: t, fx: fx, fy: fy})
			}
		}
	}
	return out
}

func TestDihedralAlgebra(t *testing.T) {
	for n := -5; n <= 5; n++ {
		if got, want := quarterTurns(n).then(quarterTurns(1)), quarterTurns(n+1); got != want {
			t.Errorf("%d turns then one: %+v, want %+v", n, got, want)
		}
	}
	if got := quarterTurns(1).then(quarterTurns(1)).then(quarterTurns(1)).then(quarterTurns(1)); !got.identity() {
		t.Errorf("four quarter turns: %+v", got)
	}
	for _, d := range allDihedrals() {
		// turnsThenFlip is what libvips is asked to do: it must rebuild d.
		turns, flip := d.turnsThenFlip()
		rebuilt := quarterTurns(turns)
		if flip {
			rebuilt = rebuilt.then(dihedral{fx: true})
		}
		if rebuilt != d {
			t.Errorf("%+v: %d turns, flip %v rebuild %+v", d, turns, flip, rebuilt)
		}
		// Every element has an inverse among the eight.
		found := false
		for _, e := range allDihedrals() {
			found = found || d.then(e).identity()
		}
		if !found {
			t.Errorf("%+v has no inverse", d)
		}
	}
}

// rectBefore must pick the same pixels: map every pixel of a rect in a 4x3 stored image
// forward through d and check it lands in the mapped rect.
func TestDihedralRectBefore(t *testing.T) {
	stored := size{4, 3}
	forward := func(d dihedral, x, y int) (int, int) {
		w, h := stored.w, stored.h
		if d.t {
			x, y, w, h = y, x, h, w
		}
		if d.fx {
			x = w - 1 - x
		}
		if d.fy {
			y = h - 1 - y
		}
		return x, y
	}
	for _, d := range allDihedrals() {
		after := d.size(stored)
		r := rect{x: 1, y: 0, w: 2, h: 1}
		if after.w < 3 {
			r = rect{x: 0, y: 1, w: 1, h: 2}
		}
		before := d.rectBefore(r, after)
		for y := before.y; y < before.y+before.h; y++ {
			for x := before.x; x < before.x+before.w; x++ {
				ax, ay := forward(d, x, y)
				if ax < r.x || ax >= r.x+r.w || ay < r.y || ay >= r.y+r.h {
					t.Errorf("%+v: stored (%d,%d) goes to (%d,%d), outside %+v", d, x, y, ax, ay, r)
				}
			}
		}
		if before.w*before.h != r.w*r.h {
			t.Errorf("%+v: %+v maps to %+v", d, r, before)
		}
	}
}

func TestExifDihedral(t *testing.T) {
	want := map[int]dihedral{
		1: {}, 3: quarterTurns(2), 6: quarterTurns(1), 8: quarterTurns(-1),
		2: {fx: true}, 4: {fy: true}, 5: {t: true}, 7: {t: true, fx: true, fy: true},
	}
	for o, d := range want {
		if got := exifDihedral(o); got != d {
			t.Errorf("orientation %d: %+v, want %+v", o, got, d)
		}
	}
}
