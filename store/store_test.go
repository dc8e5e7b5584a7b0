package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func openTest(t *testing.T) (*Store, Cloud) {
	t.Helper()
	s, c := openTestIn(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	return s, c
}

// openTestIn opens a store in dir with the "demo" cloud, for a test that closes it itself (to
// open dir again, as a restart would).
func openTestIn(t *testing.T, dir string) (*Store, Cloud) {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.PutCloud(context.Background(), Cloud{Name: "demo", APIKey: "k", APISecret: "s"})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, c
}

func tempWith(t *testing.T, s *Store, body string) string {
	t.Helper()
	f, err := s.CreateTemp()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(body); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return f.Name()
}

func newAsset(c Cloud, publicID string) Asset {
	return Asset{AssetKey: AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: publicID},
		Format: "txt", Bytes: 5, ETag: "e", Tags: []string{"b", "a"}, Context: map[string]string{"k": "v"}}
}

func blobFiles(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(s.Dir(), "files"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestSaveOverwriteAndExisting(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	first, res, err := s.SaveAsset(ctx, newAsset(c, "doc"), tempWith(t, s, "one"), true)
	if err != nil || res != Created {
		t.Fatalf("create: %v %v", res, err)
	}
	second, res, err := s.SaveAsset(ctx, newAsset(c, "doc"), tempWith(t, s, "two"), true)
	if err != nil || res != Overwritten {
		t.Fatalf("overwrite: %v %v", res, err)
	}
	if second.AssetID != first.AssetID || second.Version <= first.Version || second.VersionID == first.VersionID {
		t.Fatalf("overwrite must keep asset_id and move version: %+v %+v", first, second)
	}
	got, _ := os.ReadFile(s.BlobPath(second.Blob))
	if string(got) != "two" {
		t.Fatalf("blob = %q", got)
	}
	if n := len(blobFiles(t, s)); n != 1 {
		t.Fatalf("old blob not removed: %d files", n)
	}
	third, res, err := s.SaveAsset(ctx, newAsset(c, "doc"), tempWith(t, s, "three"), false)
	if err != nil || res != Existing || third.VersionID != second.VersionID {
		t.Fatalf("no-overwrite: %v %v %+v", res, err, third)
	}
	got, _ = os.ReadFile(s.BlobPath(second.Blob))
	if string(got) != "two" || len(blobFiles(t, s)) != 1 {
		t.Fatalf("existing asset changed: %q", got)
	}
	read, err := s.Asset(ctx, second.AssetKey)
	if err != nil || len(read.Tags) != 2 || read.Tags[0] != "a" || read.Context["k"] != "v" {
		t.Fatalf("read back: %+v %v", read, err)
	}
}

// A failure between the blob write and the commit (what a crash there leaves) must leave no row,
// and at most an orphan file that the next start-up sweeps.
func TestCrashBetweenBlobAndCommit(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, c := openTestIn(t, dir)
	injected := errors.New("injected crash")
	s.afterBlobWrite = func() error { return injected }
	src := tempWith(t, s, "bytes")
	if _, _, err := s.SaveAsset(ctx, newAsset(c, "lost"), src, true); !errors.Is(err, injected) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Asset(ctx, AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: "lost"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("row exists after failed commit: %v", err)
	}
	// Simulate the crash leaving the placed blob behind, then restart.
	orphan := filepath.Join(dir, "files", "originals", "ab", "abcdef")
	os.MkdirAll(filepath.Dir(orphan), 0o750)
	os.WriteFile(orphan, []byte("x"), 0o640)
	os.WriteFile(filepath.Join(dir, "tmp", "upload-1"), []byte("x"), 0o640)
	s.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if files := blobFiles(t, s); len(files) != 0 {
		t.Fatalf("orphans survive restart: %v", files)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Fatalf("temp files survive restart: %d", len(entries))
	}
}

func TestRenameAndDelete(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a, _, _ := s.SaveAsset(ctx, newAsset(c, "a"), tempWith(t, s, "A"), true)
	b, _, _ := s.SaveAsset(ctx, newAsset(c, "b"), tempWith(t, s, "B"), true)
	if _, err := s.RenameAsset(ctx, a.AssetKey, "upload", "b", "", false); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto existing without overwrite: %v", err)
	}
	r, err := s.RenameAsset(ctx, a.AssetKey, "private", "b", "", true)
	if err != nil || r.PublicID != "b" || r.Type != "private" || r.AssetID != a.AssetID {
		t.Fatalf("rename: %+v %v", r, err)
	}
	// The renamed asset went to type private, so upload/b is untouched.
	if _, err := s.Asset(ctx, b.AssetKey); err != nil {
		t.Fatalf("upload/b: %v", err)
	}
	if _, err := s.Asset(ctx, a.AssetKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old key still there: %v", err)
	}
	if _, _, err := s.DeleteAsset(ctx, r.AssetKey); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.BlobPath(r.Blob)); !os.IsNotExist(err) {
		t.Fatalf("blob not removed: %v", err)
	}
	if _, _, err := s.DeleteAsset(ctx, r.AssetKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestTagAndContextCommands(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a, _, _ := s.SaveAsset(ctx, newAsset(c, "x"), tempWith(t, s, "X"), true)
	scope := a.AssetKey
	found, err := s.UpdateTags(ctx, scope, []string{"x", "missing"}, TagAdd, []string{"c"})
	if err != nil || len(found) != 1 || found[0] != "x" {
		t.Fatalf("add: %v %v", found, err)
	}
	check := func(wantTags string, wantCtx map[string]string) {
		t.Helper()
		got, _ := s.Asset(ctx, scope)
		tags := ""
		for _, tg := range got.Tags {
			tags += tg + ","
		}
		if tags != wantTags || len(got.Context) != len(wantCtx) {
			t.Fatalf("tags %q context %v", tags, got.Context)
		}
		for k, v := range wantCtx {
			if got.Context[k] != v {
				t.Fatalf("context %v, want %v", got.Context, wantCtx)
			}
		}
	}
	check("a,b,c,", map[string]string{"k": "v"})
	s.UpdateTags(ctx, scope, []string{"x"}, TagRemove, []string{"a"})
	check("b,c,", map[string]string{"k": "v"})
	s.UpdateTags(ctx, scope, []string{"x"}, TagReplace, []string{"z"})
	check("z,", map[string]string{"k": "v"})
	s.UpdateContext(ctx, scope, []string{"x"}, ContextAdd, map[string]string{"k": "", "n": "1"})
	check("z,", map[string]string{"n": "1"})
	s.UpdateTags(ctx, scope, []string{"x"}, TagRemoveAll, nil)
	s.UpdateContext(ctx, scope, []string{"x"}, ContextRemoveAll, nil)
	check("", nil)
}

func TestDerivedLifecycle(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a, _, _ := s.SaveAsset(ctx, newAsset(c, "img"), tempWith(t, s, "v1"), true)
	d, err := s.SaveDerived(a, Derived{Transformation: "c_fill,w_10", Format: "jpg", ETag: "e"}, []byte("d1"))
	if err != nil || d.ID != DerivedID(a.AssetID, "c_fill,w_10", "jpg") {
		t.Fatalf("save derived: %+v %v", d, err)
	}
	got, err := s.DerivedFile(ctx, a, "c_fill,w_10", "jpg")
	if err != nil || got.Blob != d.Blob {
		t.Fatalf("read derived: %+v %v", got, err)
	}
	if _, err := s.DerivedFile(ctx, a, "c_fill,w_10", "png"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other format: %v", err)
	}
	// A file with no row (a crash between the two) is no variant either.
	orphan := s.BlobPath(derivedBlobName(a.VersionID, DerivedID(a.AssetID, "c_fill,w_10", "png")))
	if err := os.WriteFile(orphan, []byte("d1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DerivedFile(ctx, a, "c_fill,w_10", "png"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("file without a row: %v", err)
	}
	os.Remove(orphan)
	// A file that lost its bytes (derived files are not fsynced) is not found, so it is made
	// again; saving it again replaces it.
	if err := os.Truncate(s.BlobPath(d.Blob), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DerivedFile(ctx, a, "c_fill,w_10", "jpg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("torn derived file: %v", err)
	}
	if _, err := s.SaveDerived(a, Derived{Transformation: "c_fill,w_10", Format: "jpg", ETag: "e"}, []byte("d1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DerivedFile(ctx, a, "c_fill,w_10", "jpg"); err != nil {
		t.Fatalf("derived made again: %v", err)
	}
	if body, err := os.ReadFile(s.BlobPath(d.Blob)); err != nil || string(body) != "d1" {
		t.Fatalf("derived file made again holds %q (%v)", body, err)
	}
	if left, _ := os.ReadDir(s.blobs.tmpDir()); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	// An overwrite drops the old version's variants, rows and files.
	a2, _, _ := s.SaveAsset(ctx, newAsset(c, "img"), tempWith(t, s, "v2"), true)
	if list, _ := s.DerivedOf(ctx, a2); len(list) != 0 {
		t.Fatalf("derived survive overwrite: %v", list)
	}
	if _, err := os.Stat(s.BlobPath(d.Blob)); !os.IsNotExist(err) {
		t.Fatalf("derived file survives overwrite: %v", err)
	}
	// A variant made from the old version keeps no row, and its file goes when the row would
	// have committed.
	stale, err := s.SaveDerived(a, Derived{Transformation: "x", Format: "jpg", ETag: "e"}, []byte("stale"))
	if err != nil {
		t.Fatalf("stale derived: %v", err)
	}
	if list, _ := s.DerivedOf(ctx, a2); len(list) != 0 {
		t.Fatalf("stale derived kept: %v", list)
	}
	if _, err := os.Stat(s.BlobPath(stale.Blob)); !os.IsNotExist(err) {
		t.Fatalf("stale derived file kept: %v", err)
	}
	if _, err := s.SaveDerived(a2, Derived{Transformation: "e_sepia", Format: "png", ETag: "e"}, []byte("d2")); err != nil {
		t.Fatal(err)
	}
	_, n, err := s.DeleteAsset(ctx, a2.AssetKey)
	if err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if files := blobFiles(t, s); len(files) != 0 {
		t.Fatalf("files left after delete: %v", files)
	}
}

func TestNamedTransformations(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	if _, err := s.NamedTransformationByName(ctx, c.ID, "thumb"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	s.PutNamedTransformation(ctx, c.ID, NamedTransformation{Name: "thumb", Definition: "c_fill,w_10"})
	s.PutNamedTransformation(ctx, c.ID, NamedTransformation{Name: "thumb", Definition: "c_fill,w_20", AllowedForStrict: true})
	got, err := s.NamedTransformationByName(ctx, c.ID, "thumb")
	if err != nil || got.Definition != "c_fill,w_20" || !got.AllowedForStrict {
		t.Fatalf("named: %+v %v", got, err)
	}
}

func TestCloudByNameSeesPutCloud(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	if got, err := s.CloudByName(ctx, "demo"); err != nil || got != c {
		t.Fatalf("first read: %+v %v", got, err)
	}
	c.APISecret, c.StrictTransformations = "s2", true
	if _, err := s.PutCloud(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CloudByName(ctx, "demo"); err != nil || got != c {
		t.Fatalf("after PutCloud: %+v %v, want %+v", got, err, c)
	}
	if _, err := s.CloudByName(ctx, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown cloud: %v", err)
	}
}

// Delivery reads an asset without its labels, attributes and EXIF; everything else is as stored.
func TestAssetForDelivery(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a := newAsset(c, "photo")
	a.EXIF = map[string]string{"Make": "Canon", "Model": "EOS"}
	a.Attributes = map[string]string{"notification_url": "http://example.com/hook"}
	saved, _, err := s.SaveAsset(ctx, a, tempWith(t, s, "v1"), true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.AssetForDelivery(ctx, saved.AssetKey)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Asset(ctx, saved.AssetKey)
	if err != nil || len(want.EXIF) != 2 || len(want.Attributes) != 1 {
		t.Fatalf("stored asset: %+v %v", want, err)
	}
	want.Tags, want.Context, want.EXIF, want.Attributes = nil, nil, map[string]string{}, map[string]string{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("for delivery:\n got %+v\nwant %+v", got, want)
	}
	if _, err := s.AssetForDelivery(ctx, AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: "none"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing asset: %v", err)
	}
}

// TestDerivedOldLayoutMigration runs migration 0010 over a variant stored in the earlier layout
// (a directory per version): its row goes, and with it the file at the next start, while a
// variant in the current layout stays.
func TestDerivedOldLayoutMigration(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a := saveNamed(t, s, c, "pic")
	current := saveDerivedFile(t, s, a, "w_10", "jpg")
	old := saveDerivedFile(t, s, a, "w_20", "jpg")
	oldBlob := "derived/" + a.VersionID[:2] + "/" + a.VersionID + "/" + old.ID
	if err := os.MkdirAll(filepath.Dir(s.BlobPath(oldBlob)), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.BlobPath(old.Blob), s.BlobPath(oldBlob)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec("UPDATE derived SET blob = ? WHERE id = ?", oldBlob, old.ID); err != nil {
		t.Fatal(err)
	}
	rerunMigration(t, s, "0010_derived_old_layout.sql")
	list, err := s.DerivedOf(ctx, a)
	if err != nil || len(list) != 1 || list[0].ID != current.ID {
		t.Fatalf("variants after the migration: %+v %v, want only %s", list, err, current.ID)
	}
	if removed, err := s.SweepOrphans(ctx); err != nil || !reflect.DeepEqual(removed, []string{oldBlob}) {
		t.Fatalf("sweep removed %q (%v), want the old layout's file", removed, err)
	}
	if _, err := os.Stat(filepath.Dir(s.BlobPath(oldBlob))); !os.IsNotExist(err) {
		t.Fatalf("old layout's version directory left: %v", err)
	}
	if _, err := s.DerivedFile(ctx, a, "w_10", "jpg"); err != nil {
		t.Fatalf("current variant: %v", err)
	}
}
