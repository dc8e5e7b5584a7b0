package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// saveSearchable stores an image asset with the given public id, format, size and tags.
func saveSearchable(t *testing.T, s *Store, c Cloud, publicID, format string, width int, tags ...string) Asset {
	t.Helper()
	a := Asset{AssetKey: AssetKey{CloudID: c.ID, ResourceType: "image", Type: "upload", PublicID: publicID},
		Format: format, Bytes: int64(width * 10), Width: width, Height: 100, ETag: "e", Tags: tags,
		Context: map[string]string{"alt": "alt " + publicID}}
	saved, _, err := s.SaveAsset(context.Background(), a, tempWith(t, s, publicID), true)
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

func search(t *testing.T, s *Store, q SearchQuery, expr string) SearchResult {
	t.Helper()
	e, err := ParseSearchExpression(expr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	q.Expr = e
	res, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%q): %v", expr, err)
	}
	return res
}

func publicIDs(assets []Asset) []string {
	out := []string{}
	for _, a := range assets {
		out = append(out, a.PublicID)
	}
	return out
}

func TestSearchFiltersSortsAndAggregates(t *testing.T) {
	s, c := openTest(t)
	other, _ := s.PutCloud(context.Background(), Cloud{Name: "other", APIKey: "k2", APISecret: "s2"})
	saveSearchable(t, s, c, "shop/shirt", "jpg", 300, "red", "summer")
	saveSearchable(t, s, c, "shop/shoe", "png", 200, "red")
	saveSearchable(t, s, c, "home/lamp", "png", 100, "blue")
	saveSearchable(t, s, other, "shop/other-cloud", "png", 50, "red")
	q := SearchQuery{CloudID: c.ID, Limit: 10, Sort: []SearchSort{{Field: "public_id"}}}
	tests := []struct {
		expr string
		want []string
	}{
		{"", []string{"home/lamp", "shop/shirt", "shop/shoe"}},
		{"tags:red", []string{"shop/shirt", "shop/shoe"}},
		{"tags:red AND NOT format:jpg", []string{"shop/shoe"}},
		{"tags:blue OR tags:summer", []string{"home/lamp", "shop/shirt"}},
		{"public_id:shop/*", []string{"shop/shirt", "shop/shoe"}},
		{"filename:lamp", []string{"home/lamp"}},
		{"width>=200 -tags:summer", []string{"shop/shoe"}},
		{"width:[100 TO 200}", []string{"home/lamp"}},
		{"bytes>2k", []string{"shop/shirt"}},
		{"aspect_ratio:2", []string{"shop/shoe"}},
		{"context.alt:\"alt home/lamp\"", []string{"home/lamp"}},
		{"context:alt", []string{"home/lamp", "shop/shirt", "shop/shoe"}},
		{"SHO", []string{"shop/shirt", "shop/shoe"}}, // free text: case-insensitive substring
		{"summ*", []string{"shop/shirt"}},
		{"created_at>1d", []string{"home/lamp", "shop/shirt", "shop/shoe"}},
		{"created_at<1d", []string{}},
	}
	for _, tt := range tests {
		res := search(t, s, q, tt.expr)
		if got := publicIDs(res.Assets); !reflect.DeepEqual(got, tt.want) || res.Total != len(tt.want) {
			t.Errorf("%q: %v (total %d), want %v", tt.expr, got, res.Total, tt.want)
		}
	}

	byWidth := search(t, s, SearchQuery{CloudID: c.ID, Limit: 10, Sort: []SearchSort{{Field: "width", Descending: true}}}, "")
	if got := publicIDs(byWidth.Assets); !reflect.DeepEqual(got, []string{"shop/shirt", "shop/shoe", "home/lamp"}) {
		t.Errorf("by width desc: %v", got)
	}
	counts := search(t, s, SearchQuery{CloudID: c.ID, Aggregate: []string{"format", "type"}}, "")
	if counts.Total != 3 || len(counts.Assets) != 0 ||
		!reflect.DeepEqual(counts.Aggregations, map[string]map[string]int{"format": {"jpg": 1, "png": 2}, "type": {"upload": 3}}) {
		t.Errorf("counts only: %+v", counts)
	}
	labelled := search(t, s, SearchQuery{CloudID: c.ID, Limit: 1, WithLabels: true}, "filename:shirt")
	if a := labelled.Assets[0]; !reflect.DeepEqual(a.Tags, []string{"red", "summer"}) || a.Context["alt"] != "alt shop/shirt" {
		t.Errorf("labels: %v %v", a.Tags, a.Context)
	}
}

// Pages resume after the last result whatever is inserted or deleted between them, in any order,
// including orders whose keys tie and orders of mixed directions.
func TestSearchPagesAcrossChanges(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"p1", "p2", "p3", "p4", "p5"} {
		saveSearchable(t, s, c, id, "png", 100, "pageme")
	}
	sorts := [][]SearchSort{
		nil, // created_at desc: every key ties within the second, the row id decides
		{{Field: "public_id"}},
		{{Field: "public_id", Descending: true}},
		{{Field: "format"}, {Field: "public_id", Descending: true}},
	}
	for _, sort := range sorts {
		q := SearchQuery{CloudID: c.ID, Limit: 2, Sort: sort}
		first := search(t, s, q, "tags:pageme")
		if len(first.Assets) != 2 || first.Next.IsZero() {
			t.Fatalf("%v: first page %v", sort, publicIDs(first.Assets))
		}
		seen := publicIDs(first.Assets)
		extra := saveSearchable(t, s, c, "p0-extra", "png", 100, "pageme")
		if _, _, err := s.DeleteAsset(ctx, first.Assets[0].AssetKey); err != nil {
			t.Fatal(err)
		}
		q.After = first.Next
		for !q.After.IsZero() {
			page := search(t, s, q, "tags:pageme")
			seen = append(seen, publicIDs(page.Assets)...)
			q.After = page.Next
		}
		unique := map[string]bool{}
		for _, id := range seen {
			unique[id] = true
		}
		if len(unique) != len(seen) || !unique["p1"] || !unique["p5"] || !unique[first.Assets[0].PublicID] {
			t.Errorf("%v: pages gave %v", sort, seen)
		}
		// Restore the set for the next order.
		if _, _, err := s.DeleteAsset(ctx, extra.AssetKey); err != nil {
			t.Fatal(err)
		}
		saveSearchable(t, s, c, first.Assets[0].PublicID, "png", 100, "pageme")
	}
}

func TestSearchCursorMustMatchTheSort(t *testing.T) {
	s, c := openTest(t)
	for _, id := range []string{"a", "b", "c"} {
		saveSearchable(t, s, c, id, "png", 100)
	}
	first := search(t, s, SearchQuery{CloudID: c.ID, Limit: 1, Sort: []SearchSort{{Field: "public_id"}}}, "")
	bad := []SearchCursor{
		{Sort: "created_at:desc", Values: first.Next.Values, Row: first.Next.Row},
		{Sort: first.Next.Sort, Values: []any{1.5}, Row: first.Next.Row},
		{Sort: first.Next.Sort, Values: nil, Row: first.Next.Row},
	}
	for _, cur := range bad {
		_, err := s.Search(context.Background(), SearchQuery{CloudID: c.ID, Limit: 1, Sort: []SearchSort{{Field: "public_id"}}, After: cur})
		if !errors.Is(err, ErrSearchCursor) {
			t.Errorf("cursor %+v: %v", cur, err)
		}
	}
}

func TestParseSearchSort(t *testing.T) {
	if s, err := ParseSearchSort("bytes", "DESC"); err != nil || s != (SearchSort{Field: "bytes", Descending: true}) {
		t.Errorf("bytes DESC: %+v %v", s, err)
	}
	for _, bad := range [][2]string{{"tags", "asc"}, {"context.alt", "asc"}, {"nope", "asc"}, {"bytes", "up"}} {
		if _, err := ParseSearchSort(bad[0], bad[1]); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
