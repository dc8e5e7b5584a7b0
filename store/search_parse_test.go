package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var searchNow = time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)

func TestParseSearchExpression(t *testing.T) {
	day := int64(86400)
	now := searchNow.Unix()
	jan2 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	ratio := func(w, h float64) float64 { return w / h }
	tagIn := "a.id IN (SELECT asset FROM asset_tags WHERE tag = ?)"
	tests := []struct {
		expr string
		sql  string
		args []any
	}{
		{"", "1", nil},
		{"   ", "1", nil},
		{"tags:cat", tagIn, []any{"cat"}},
		{"tag=cat", tagIn, []any{"cat"}},
		{`tags:"black cat"`, tagIn, []any{"black cat"}},
		{`tags:black\ cat`, tagIn, []any{"black cat"}},
		{"tags:ca*", "a.id IN (SELECT asset FROM asset_tags WHERE (tag >= ? AND tag < ?))", []any{"ca", "ca\U0010FFFF"}},
		{"tags:*", "a.id IN (SELECT asset FROM asset_tags WHERE tag <> '')", nil},
		{`tags:"a\*"`, tagIn, []any{"a*"}},
		{"public_id:shoes/*", "(a.public_id >= ? AND a.public_id < ?)", []any{"shoes/", "shoes/\U0010FFFF"}},
		{"public_id=a/b", "a.public_id = ?", []any{"a/b"}},
		{"format:png AND resource_type:image", "(a.format = ? AND a.resource_type = ?)", []any{"png", "image"}},
		{"format:png resource_type:image", "(a.format = ? AND a.resource_type = ?)", []any{"png", "image"}},
		{"format:png OR format:jpg type:upload", "(a.format = ? OR (a.format = ? AND a.type = ?))", []any{"png", "jpg", "upload"}},
		{"(format:png OR format:jpg) AND type:upload", "((a.format = ? OR a.format = ?) AND a.type = ?)", []any{"png", "jpg", "upload"}},
		{"NOT format:png", "NOT (a.format = ?)", []any{"png"}},
		{"-format:png +type:upload", "(NOT (a.format = ?) AND a.type = ?)", []any{"png", "upload"}},
		{"context.alt:hello", "a.id IN (SELECT asset FROM asset_context WHERE key = ? AND value = ?)", []any{"alt", "hello"}},
		{"context:alt", "a.id IN (SELECT asset FROM asset_context WHERE key = ?)", []any{"alt"}},
		{"bytes:100", "a.bytes = ?", []any{int64(100)}},
		{"bytes>1m", "a.bytes >= ?", []any{int64(1<<20 + 1)}},
		{"bytes>=1.5kb", "a.bytes >= ?", []any{int64(1536)}},
		{"width<100", "a.width < ?", []any{int64(100)}},
		{"width<=100", "a.width < ?", []any{int64(101)}},
		{"width:[100 TO 200]", "(1 AND a.width >= ? AND a.width < ?)", []any{int64(100), int64(201)}},
		{"width:{100 TO 200}", "(1 AND a.width >= ? AND a.width < ?)", []any{int64(101), int64(200)}},
		{"width:[100 TO *]", "(1 AND a.width >= ?)", []any{int64(100)}},
		{"pixels>0", "(a.width * a.height) >= ?", []any{int64(1)}},
		{"aspect_ratio>1", aspectRatioSQL + " > ?", []any{1.0}},
		{`aspect_ratio:"16:9"`, "(" + aspectRatioSQL + " BETWEEN ? AND ?)", []any{ratio(16, 9) - realTolerance, ratio(16, 9) + realTolerance}},
		{"created_at>1d", "a.created_at >= ?", []any{now - day + 1}},
		{"uploaded_at<2w", "a.version < ?", []any{now - 14*day}},
		{"created_at:2024-01-02", "(a.created_at >= ? AND a.created_at < ?)", []any{jan2, jan2 + day}},
		{"created_at>2024-01-02", "a.created_at >= ?", []any{jan2 + day}},
		{`created_at>="2024-01-02T00:00:10Z"`, "a.created_at >= ?", []any{jan2 + 10}},
		{"created_at:[4w TO 1w]", "(1 AND a.created_at >= ? AND a.created_at < ?)", []any{now - 28*day, now - 7*day + 1}},
		{"filename:cat", filenameSQL + " = ?", []any{"cat"}},
		{"*", "1", nil},
		{"50%_off", "(a.public_id LIKE ? ESCAPE '\\' OR a.display_name LIKE ? ESCAPE '\\' OR a.asset_folder LIKE ? ESCAPE '\\' OR " +
			"a.id IN (SELECT asset FROM asset_tags WHERE tag LIKE ? ESCAPE '\\') OR a.id IN (SELECT asset FROM asset_context WHERE value LIKE ? ESCAPE '\\'))",
			[]any{`%50\%\_off%`, `%50\%\_off%`, `%50\%\_off%`, `%50\%\_off%`, `%50\%\_off%`}},
		{"ORANGE", "", nil}, // a word, not the OR operator (checked below by argument only)
	}
	for _, tt := range tests {
		e, err := ParseSearchExpression(tt.expr, searchNow)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		sql, args := e.condition()
		if tt.sql == "" {
			if fmt.Sprint(args[0]) != "%"+tt.expr+"%" {
				t.Errorf("Parse(%q) args %v, want free text", tt.expr, args)
			}
			continue
		}
		if sql != tt.sql || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("Parse(%q)\n got %s %#v\nwant %s %#v", tt.expr, sql, args, tt.sql, tt.args)
		}
	}
}

func TestParseSearchExpressionErrors(t *testing.T) {
	tests := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"colour:red", 1, `unknown field "colour"`},
		{"tags:cat AND", 13, "expected a search term"},
		{"(tags:cat", 10, "missing ) to close the ( at position 1"},
		{"tags:cat)", 9, `unexpected ')'`},
		{"tags:", 6, "missing value for tags"},
		{`tags:"cat`, 6, "unterminated quoted value"},
		{"tags:*cat", 6, "a wildcard * may only end a value"},
		{"tags:c?t", 7, `reserved character '?'`},
		{"bytes:abc", 7, "bytes: expected a whole number"},
		{"bytes:10*", 7, "wildcards apply to text fields"},
		{"tags>3", 5, "tags is not a number or a date"},
		{"created_at:1d", 12, "relative date 1d needs"},
		{"created_at>3m", 12, "expected a date"},
		{"width:[1 2]", 10, "expected TO"},
		{"width:[1 TO 2", 14, "missing ] or }"},
		{"public_id:[a TO b]", 11, "ranges apply to numbers and dates"},
		{"AND tags:x", 1, "unexpected AND"},
		{"tags:x OR OR tags:y", 11, "unexpected OR"},
		{"tags:a\\", 7, "nothing to escape"},
		{"aspect_ratio:\"1:0\"", 14, "invalid ratio"},
	}
	for _, tt := range tests {
		_, err := ParseSearchExpression(tt.expr, searchNow)
		var se *SearchSyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a syntax error", tt.expr, err)
			continue
		}
		if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %q at %d, want %q at %d", tt.expr, se.Msg, se.Pos, tt.msg, tt.pos)
		}
	}
}

func TestParseSearchExpressionLimits(t *testing.T) {
	deep := ""
	for i := 0; i < maxExpressionDepth+1; i++ {
		deep += "("
	}
	for _, expr := range []string{deep + "x", repeatTerms(maxExpressionTerms + 1)} {
		if _, err := ParseSearchExpression(expr, searchNow); err == nil {
			t.Errorf("Parse(%.40q...) passed a limit without an error", expr)
		}
	}
	if _, err := ParseSearchExpression(repeatTerms(maxExpressionTerms), searchNow); err != nil {
		t.Errorf("%d terms: %v", maxExpressionTerms, err)
	}
}

func repeatTerms(n int) string {
	s := "tags:x"
	for i := 1; i < n; i++ {
		s += " OR tags:x"
	}
	return s
}

// An exact tag the whole expression requires drives the query through the tag index.
func TestSearchSourceDrivingTag(t *testing.T) {
	tests := []struct {
		expr   string
		driven bool
		cond   string
	}{
		{"tags:cat", true, "d.tag = ?"},
		{"format:png tags:cat width>1", true, "d.tag = ? AND (a.format = ? AND a.width >= ?)"},
		{"format:png AND tags:cat", true, "d.tag = ? AND a.format = ?"},
		{"tags:cat OR format:png", false, ""},
		{"tags:ca*", false, ""},
		{"NOT tags:cat", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		e, err := ParseSearchExpression(tt.expr, searchNow)
		if err != nil {
			t.Fatal(err)
		}
		src := e.source()
		driven := strings.HasPrefix(src.from, "asset_tags d CROSS JOIN")
		if driven != tt.driven || (driven && src.cond != tt.cond) {
			t.Errorf("%q: from %s where %s", tt.expr, src.from, src.cond)
		}
	}
}
