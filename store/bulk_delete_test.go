package store

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
)

// saveDerivedFile stores a variant of a and returns it, its row committed (which would
// otherwise wait derivedCommitDelay), for tests that then change the database behind the
// store's back.
func saveDerivedFile(t *testing.T, s *Store, a Asset, transformation, format string) Derived {
	t.Helper()
	body := transformation + format
	d, err := s.SaveDerived(a, Derived{Transformation: transformation, Format: format, ETag: "d"},
		[]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	s.commitQueuedDerived()
	return d
}

func saveNamed(t *testing.T, s *Store, c Cloud, publicID string, tags ...string) Asset {
	t.Helper()
	a := newAsset(c, publicID)
	a.Tags = tags
	a, _, err := s.SaveAsset(context.Background(), a, tempWith(t, s, publicID), false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDeleteAssetsInCallsOfAThousand(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	const n = 1050
	for i := range n {
		saveNamed(t, s, c, fmt.Sprintf("bulk/%04d", i))
	}
	keep := saveNamed(t, s, c, "other/keep")
	withDerived, err := s.Asset(ctx, AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: "bulk/0007"})
	if err != nil {
		t.Fatal(err)
	}
	d := saveDerivedFile(t, s, withDerived, "w_10", "jpg")

	q := BulkDelete{CloudID: c.ID, ResourceType: "raw", Type: "upload", Prefix: "bulk/"}
	var seen []string
	calls := 0
	for {
		res, err := s.DeleteAssets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, del := range res.Deleted {
			if del.Original != 1 {
				t.Fatalf("%s: original %d", del.PublicID, del.Original)
			}
			if want := map[bool]int{true: 1, false: 0}[del.PublicID == "bulk/0007"]; del.Derived != want {
				t.Fatalf("%s: derived %d, want %d", del.PublicID, del.Derived, want)
			}
			seen = append(seen, del.PublicID)
		}
		if calls == 1 && (len(res.Deleted) != MaxBulkDelete || !res.Partial || res.Next.PublicID != "bulk/0999") {
			t.Fatalf("first call: %d deleted, partial %v, next %+v", len(res.Deleted), res.Partial, res.Next)
		}
		if !res.Partial {
			break
		}
		q.After = res.Next
	}
	if calls != 2 || len(seen) != n {
		t.Fatalf("%d calls deleted %d originals, want 2 calls and %d", calls, len(seen), n)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != n {
		t.Fatal("an original was reported twice")
	}
	// Only the unmatched asset's file is left, and the derived file went with its original.
	if files := blobFiles(t, s); len(files) != 1 || !exists(s.BlobPath(keep.Blob)) {
		t.Fatalf("files left: %v", files)
	}
	if exists(s.BlobPath(d.Blob)) {
		t.Fatal("derived file left behind")
	}
	page, _, err := s.ListAssets(ctx, ListQuery{CloudID: c.ID, Limit: 10})
	if err != nil || len(page) != 1 || page[0].PublicID != "other/keep" {
		t.Fatalf("assets left: %v %v", page, err)
	}
}

func TestDeleteAssetsSelectors(t *testing.T) {
	type setup struct {
		s      *Store
		c      Cloud
		assets map[string]Asset
	}
	open := func(t *testing.T) setup {
		s, c := openTest(t)
		su := setup{s: s, c: c, assets: map[string]Asset{}}
		for _, id := range []string{"a", "b", "c"} {
			tags := []string{"all"}
			if id != "c" {
				tags = append(tags, "ab")
			}
			su.assets[id] = saveNamed(t, s, c, id, tags...)
			saveDerivedFile(t, s, su.assets[id], "c_fill,w_100", "jpg")
			saveDerivedFile(t, s, su.assets[id], "c_fill,w_100", "png")
			saveDerivedFile(t, s, su.assets[id], "e_sepia", "jpg")
		}
		return su
	}
	tests := []struct {
		name         string
		query        func(su setup) BulkDelete
		wantDeleted  []string // public ids, in row order
		wantOriginal int
		wantDerived  int // per deleted original
		wantLeft     []string
	}{
		{"public ids", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload", PublicIDs: []string{"a", "c", "zzz"}}
		}, []string{"a", "c"}, 1, 3, []string{"b"}},
		{"asset ids", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, AssetIDs: []string{su.assets["b"].AssetID}}
		}, []string{"b"}, 1, 3, []string{"a", "c"}},
		{"tag", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Tag: "ab"}
		}, []string{"a", "b"}, 1, 3, []string{"c"}},
		{"all of another type", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "private", All: true}
		}, nil, 0, 0, []string{"a", "b", "c"}},
		{"all", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload", All: true}
		}, []string{"a", "b", "c"}, 1, 3, nil},
		{"keep original", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload", PublicIDs: []string{"a"}, KeepOriginal: true}
		}, []string{"a"}, 0, 3, []string{"a", "b", "c"}},
		{"one transformation, any format", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload", PublicIDs: []string{"b"},
				Derived: []DerivedMatch{{Transformation: "c_fill,w_100"}}}
		}, []string{"b"}, 0, 2, []string{"a", "b", "c"}},
		{"transformations with a format", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload", Prefix: "b",
				Derived: []DerivedMatch{{Transformation: "c_fill,w_100", Format: "png"}, {Transformation: "e_sepia"}}}
		}, []string{"b"}, 0, 2, []string{"a", "b", "c"}},
		{"no selector", func(su setup) BulkDelete {
			return BulkDelete{CloudID: su.c.ID, ResourceType: "raw", Type: "upload"}
		}, nil, 0, 0, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			su := open(t)
			ctx := context.Background()
			before := len(blobFiles(t, su.s))
			res, err := su.s.DeleteAssets(ctx, tt.query(su))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range res.Deleted {
				got = append(got, d.PublicID)
				if d.Original != tt.wantOriginal || d.Derived != tt.wantDerived {
					t.Errorf("%s: original %d derived %d, want %d %d", d.PublicID, d.Original, d.Derived, tt.wantOriginal, tt.wantDerived)
				}
				if d.AssetID != su.assets[d.PublicID].AssetID {
					t.Errorf("%s: asset id %s", d.PublicID, d.AssetID)
				}
			}
			if !slices.Equal(got, tt.wantDeleted) || res.Partial {
				t.Fatalf("deleted %v (partial %v), want %v", got, res.Partial, tt.wantDeleted)
			}
			page, _, err := su.s.ListAssets(ctx, ListQuery{CloudID: su.c.ID, Ascending: true, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, a := range page {
				left = append(left, a.PublicID)
			}
			if !slices.Equal(left, tt.wantLeft) {
				t.Fatalf("left %v, want %v", left, tt.wantLeft)
			}
			// Files: every deleted row's file is gone, every kept row's file is there.
			removed := len(tt.wantDeleted) * (tt.wantOriginal + tt.wantDerived)
			if after := len(blobFiles(t, su.s)); after != before-removed {
				t.Fatalf("%d files after, want %d", after, before-removed)
			}
			for _, a := range page {
				ds, err := su.s.DerivedOf(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ds {
					if !exists(su.s.BlobPath(d.Blob)) {
						t.Fatalf("%s: derived %s has no file", a.PublicID, d.ID)
					}
				}
				if !exists(su.s.BlobPath(a.Blob)) {
					t.Fatalf("%s: original has no file", a.PublicID)
				}
			}
		})
	}
}

func TestDeleteDerivedByID(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	other, err := s.PutCloud(ctx, Cloud{Name: "other", APIKey: "k2", APISecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	a := saveNamed(t, s, c, "mine")
	b := newAsset(other, "theirs")
	b, _, err = s.SaveAsset(ctx, b, tempWith(t, s, "x"), false)
	if err != nil {
		t.Fatal(err)
	}
	d1 := saveDerivedFile(t, s, a, "w_1", "jpg")
	d2 := saveDerivedFile(t, s, a, "w_2", "jpg")
	theirs := saveDerivedFile(t, s, b, "w_1", "jpg")

	found, err := s.DeleteDerivedByID(ctx, c.ID, []string{d1.ID, theirs.ID, "0000"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, []string{d1.ID}) {
		t.Fatalf("found %v, want only %s (another cloud's id must not be deleted)", found, d1.ID)
	}
	if exists(s.BlobPath(d1.Blob)) || !exists(s.BlobPath(d2.Blob)) || !exists(s.BlobPath(theirs.Blob)) {
		t.Fatal("wrong derived files removed")
	}
	left, err := s.DerivedOf(ctx, a)
	if err != nil || len(left) != 1 || left[0].ID != d2.ID {
		t.Fatalf("derived left: %v %v", left, err)
	}
}

// With originals kept, each call's originals stay in place: the cursor alone moves the delete on.
func TestDeleteAssetsCursorKeepsOriginals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		query func(c Cloud) BulkDelete
	}{
		{"prefix", func(c Cloud) BulkDelete {
			return BulkDelete{CloudID: c.ID, ResourceType: "raw", Type: "upload", Prefix: "p/"}
		}},
		{"all", func(c Cloud) BulkDelete {
			return BulkDelete{CloudID: c.ID, ResourceType: "raw", Type: "upload", All: true}
		}},
		{"tag", func(c Cloud) BulkDelete { return BulkDelete{CloudID: c.ID, ResourceType: "raw", Tag: "t"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := openTest(t)
			ctx := context.Background()
			// Row order differs from public id order, so each walk shows its own key.
			for _, id := range []string{"p/e", "p/a", "p/d", "p/b", "p/c"} {
				a := saveNamed(t, s, c, id, "t")
				saveDerivedFile(t, s, a, "w_1", "jpg")
				saveDerivedFile(t, s, a, "w_2", "jpg")
			}
			q := tt.query(c)
			q.KeepOriginal, q.Limit = true, 2
			var seen []string
			for calls := 1; ; calls++ {
				res, err := s.DeleteAssets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range res.Deleted {
					if d.Original != 0 || d.Derived != 2 {
						t.Fatalf("%s: %+v", d.PublicID, d)
					}
					seen = append(seen, d.PublicID)
				}
				if !res.Partial {
					if calls != 3 {
						t.Fatalf("%d calls", calls)
					}
					break
				}
				q.After = res.Next
			}
			slices.Sort(seen)
			if !slices.Equal(seen, []string{"p/a", "p/b", "p/c", "p/d", "p/e"}) {
				t.Fatalf("seen %v", seen)
			}
			if files := blobFiles(t, s); len(files) != 5 {
				t.Fatalf("%d files left, want the 5 originals", len(files))
			}
		})
	}
}
