package transform

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a *ParseError, and that a
// parsed chain's canonical form is a fixed point: it parses, and prints the same again.
func FuzzParse(f *testing.F) {
	for _, s := range roundTripInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T %v, want *ParseError", s, err, err)
			}
			return
		}
		first := c.Canonical()
		again, err := Parse(first)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its canonical %q fails: %v", s, first, err)
		}
		if second := again.Canonical(); second != first {
			t.Fatalf("Parse(%q): canonical %q re-parses to %q", s, first, second)
		}
		if len(c.Components) > 0 && first == "" {
			t.Fatalf("Parse(%q) gave components but an empty canonical", s)
		}
	})
}
