package transform

import "testing"

func TestZZSize(t *testing.T) {
	b := detailedJPEG(t, 1920, 1280)
	t.Logf("size %d", len(b))
}
