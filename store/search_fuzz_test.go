package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzSearchExpression checks that parsing never panics, that every error is a
// *SearchSyntaxError with a position inside the expression (or just past it), and that whatever
// parses compiles to SQL that SQLite accepts, with as many arguments as placeholders.
func FuzzSearchExpression(f *testing.F) {
	for _, seed := range []string{
		"tags:cat", `tags:"black cat" AND -format:png`, "(format:png OR format:jpg) type:upload",
		"bytes>1m AND width:[100 TO 200}", "created_at:[4w TO 1w]", `aspect_ratio:"16:9"`,
		"context.alt:hi*", "NOT NOT public_id:a/b/*", "free text", `tags:a\ b`, "width:{* TO 5]",
		"created_at>\"2024-01-02T10:00:00Z\"", "((", "tags:", "50%_off",
	} {
		f.Add(seed)
	}
	s, err := Open(context.Background(), f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := ParseSearchExpression(expr, searchNow)
		if err != nil {
			var se *SearchSyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SearchSyntaxError", expr, err, err)
			}
			if n := len([]rune(expr)); se.Pos < 1 || se.Pos > n+1 {
				t.Fatalf("Parse(%q): position %d outside 1..%d", expr, se.Pos, n+1)
			}
			return
		}
		src := e.source()
		query := "SELECT a.id FROM " + src.from + " WHERE " + src.cond
		if n := strings.Count(query, "?"); n != len(src.args) {
			t.Fatalf("Parse(%q): %d placeholders, %d arguments in %s", expr, n, len(src.args), query)
		}
		rows, err := s.reader.QueryContext(context.Background(), "EXPLAIN "+query, src.args...)
		if err != nil {
			t.Fatalf("Parse(%q) compiled to SQL SQLite refuses: %v\n%s", expr, err, query)
		}
		rows.Close()
	})
}
