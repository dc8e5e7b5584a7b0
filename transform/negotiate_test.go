package transform

import (
	"testing"
)

const (
	acceptChrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	acceptWebP   = "image/webp,*/*"
	acceptAny    = "*/*"
)

func TestResolveFormat(t *testing.T) {
	tests := []struct {
		name     string
		chain    string
		n        Negotiation
		want     string
		wantRest string // the resolved canonical string
	}{
		{"avif for opaque", "f_auto", Negotiation{Accept: acceptChrome, SourceFormat: "jpg"}, "avif", "f_avif"},
		{"avif for alpha", "f_auto", Negotiation{Accept: acceptChrome, SourceFormat: "png", SourceAlpha: true}, "avif", "f_avif"},
		{"animated never avif", "f_auto", Negotiation{Accept: acceptChrome, SourceFormat: "gif", SourceAnimated: true, SourceAlpha: true}, "webp", "f_webp"},
		{"webp only, opaque", "f_auto", Negotiation{Accept: acceptWebP, SourceFormat: "jpg"}, "webp", "f_webp"},
		{"webp only, alpha", "f_auto", Negotiation{Accept: acceptWebP, SourceFormat: "png", SourceAlpha: true}, "webp", "f_webp"},
		{"webp only, animated", "f_auto", Negotiation{Accept: acceptWebP, SourceFormat: "gif", SourceAnimated: true}, "webp", "f_webp"},
		{"legacy opaque", "f_auto", Negotiation{Accept: acceptAny, SourceFormat: "png"}, "jpg", "f_jpg"},
		{"legacy alpha", "f_auto", Negotiation{Accept: acceptAny, SourceFormat: "png", SourceAlpha: true}, "png", "f_png"},
		{"legacy animated", "f_auto", Negotiation{Accept: acceptAny, SourceFormat: "gif", SourceAnimated: true, SourceAlpha: true}, "gif", "f_gif"},
		{"no accept header", "f_auto", Negotiation{SourceFormat: "webp"}, "jpg", "f_jpg"},
		{"image/* is not webp", "f_auto", Negotiation{Accept: "image/*", SourceFormat: "jpg"}, "jpg", "f_jpg"},
		{"q=0 refuses", "f_auto", Negotiation{Accept: "image/avif;q=0, image/webp;q=0.5", SourceFormat: "jpg"}, "webp", "f_webp"},
		{"case and spaces", "f_auto", Negotiation{Accept: " Image/WebP ; q=1 ", SourceFormat: "jpg"}, "webp", "f_webp"},
		{"avif stripped by caller", "f_auto", Negotiation{Accept: ",image/webp,*/*", SourceFormat: "jpg"}, "webp", "f_webp"},
		{"preserve_transparency, legacy", "f_auto,fl_preserve_transparency", Negotiation{Accept: acceptAny, SourceFormat: "jpg"}, "png", "f_png,fl_preserve_transparency"},
		{"preserve_transparency elsewhere", "fl_preserve_transparency/f_auto", Negotiation{Accept: acceptAny, SourceFormat: "jpg"}, "png", "fl_preserve_transparency/f_png"},
		{"preserve_transparency, avif", "f_auto,fl_preserve_transparency", Negotiation{Accept: acceptChrome, SourceFormat: "png", SourceAlpha: true}, "avif", "f_avif,fl_preserve_transparency"},
		{"extension does not limit f_auto", "f_auto", Negotiation{Accept: acceptWebP, SourceFormat: "jpg", Ext: "jpg"}, "webp", "f_webp"},
		{"explicit format stays", "f_png", Negotiation{Accept: acceptChrome, SourceFormat: "jpg"}, "png", "f_png"},
		{"every f_auto", "f_auto/w_10/f_auto", Negotiation{Accept: acceptWebP, SourceFormat: "jpg"}, "webp", "f_webp/w_10/f_webp"},
		{"q_auto stays", "f_auto,q_auto", Negotiation{Accept: acceptWebP, SourceFormat: "jpg"}, "webp", "f_webp,q_auto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.chain)
			if err != nil {
				t.Fatal(err)
			}
			before := c.Canonical()
			r := c.Resolve(tt.n)
			if got := r.OutputFormat(tt.n.Ext, tt.n.SourceFormat); got != tt.want {
				t.Errorf("OutputFormat = %q, want %q", got, tt.want)
			}
			if got := r.Canonical(); got != tt.wantRest {
				t.Errorf("resolved = %q, want %q", got, tt.wantRest)
			}
			if c.Canonical() != before {
				t.Errorf("Resolve changed its receiver: %q → %q", before, c.Canonical())
			}
			if r.Negotiated() {
				t.Errorf("a resolved chain still says Negotiated")
			}
		})
	}
}

func TestResolveDPR(t *testing.T) {
	tests := []struct {
		chain string
		hint  float64
		want  string
	}{
		{"dpr_auto,w_100", 0, "dpr_1.0,w_100"},
		{"dpr_auto,w_100", 2, "dpr_2.0,w_100"},
		{"dpr_auto,w_100", 2.625, "dpr_2.63,w_100"},
		{"dpr_auto,w_100", 1.5, "dpr_1.5,w_100"},
		{"dpr_auto", 9, "dpr_5.0"},
		{"dpr_auto", 0.01, "dpr_0.1"},
		{"dpr_auto", -1, "dpr_1.0"},
		{"dpr_1.5", 3, "dpr_1.5"},
		{"w_100", 3, "w_100"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.chain)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Resolve(Negotiation{DPR: tt.hint}).Canonical()
		if got != tt.want {
			t.Errorf("%q with DPR %v → %q, want %q", tt.chain, tt.hint, got, tt.want)
		}
		if _, err := Parse(got); err != nil {
			t.Errorf("resolved %q does not parse: %v", got, err)
		}
	}
}

func TestNegotiated(t *testing.T) {
	tests := map[string]bool{
		"f_auto":          true,
		"w_100/f_auto":    true,
		"f_auto,q_auto":   true,
		"q_auto":          false,
		"dpr_auto,w_100":  false,
		"f_webp":          false,
		"":                false,
		"t_with_auto_fmt": false, // named transformations are expanded first
	}
	for in, want := range tests {
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Negotiated(); got != want {
			t.Errorf("Negotiated(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestOutputFormat(t *testing.T) {
	tests := []struct {
		chain, ext, source, want string
	}{
		{"", "", "jpg", "jpg"},
		{"", "", "JPEG", "jpg"},
		{"", "webp", "jpg", "webp"},
		{"", "jpeg", "png", "jpg"},
		{"", "tif", "png", "tiff"},
		{"w_100", "png", "jpg", "png"},
		{"f_webp", "png", "jpg", "webp"},
		{"f_jpeg", "png", "gif", "jpg"},
		{"f_png/w_100", "", "jpg", "png"},
		{"f_png/f_webp", "jpg", "jpg", "webp"},
		{"f_webp/f_png", "", "jpg", "png"},
		{"f_webp/f_auto", "", "jpg", "webp"}, // unresolved f_auto does not count
		{"f_auto", "gif", "jpg", "gif"},
		{"f_auto", "", "png", "png"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.chain)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.OutputFormat(tt.ext, tt.source); got != tt.want {
			t.Errorf("OutputFormat(%q, ext %q, source %q) = %q, want %q", tt.chain, tt.ext, tt.source, got, tt.want)
		}
	}
}

func TestQualityFor(t *testing.T) {
	tests := []struct {
		q      Quality
		format string
		want   int
	}{
		{Quality{Value: 42}, "jpg", 42},
		{Quality{Value: 42}, "webp", 42},
		{Quality{Value: 42}, "avif", 42},
		{Quality{Value: 42}, "png", 0},
		{Quality{Value: 42}, "gif", 0},
		{Quality{Auto: "best"}, "jpg", 90},
		{Quality{Auto: "good"}, "jpg", 80},
		{Quality{Auto: "eco"}, "jpg", 70},
		{Quality{Auto: "low"}, "jpg", 60},
		{Quality{Auto: "best"}, "webp", 90},
		{Quality{Auto: "good"}, "webp", 80},
		{Quality{Auto: "eco"}, "webp", 70},
		{Quality{Auto: "low"}, "webp", 60},
		{Quality{Auto: "best"}, "avif", 65},
		{Quality{Auto: "good"}, "avif", 55},
		{Quality{Auto: "eco"}, "avif", 48},
		{Quality{Auto: "low"}, "avif", 40},
		{Quality{Auto: "best"}, "heic", 65},
		{Quality{Auto: "low"}, "heic", 40},
		{Quality{Auto: "good"}, "png", 0},
		{Quality{Auto: "good"}, "gif", 0},
		{Quality{}, "jpg", 80},
		{Quality{}, "jpeg", 80},
		{Quality{}, "webp", 80},
		{Quality{}, "avif", 50},
		{Quality{}, "heic", 50},
		{Quality{}, "png", 0},
		{Quality{}, "gif", 0},
		{Quality{}, "tiff", 0},
	}
	for _, tt := range tests {
		if got := QualityFor(tt.q, tt.format); got != tt.want {
			t.Errorf("QualityFor(%+v, %q) = %d, want %d", tt.q, tt.format, got, tt.want)
		}
	}
	// What Parse gives is what QualityFor reads.
	c, _ := Parse("q_auto")
	if got := QualityFor(c.Components[0].Quality, "jpg"); got != 80 {
		t.Errorf("QualityFor(q_auto, jpg) = %d, want 80", got)
	}
}
