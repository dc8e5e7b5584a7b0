package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func folderPaths(fs []Folder) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func mustSubFolders(t *testing.T, s *Store, c Cloud, parent string) []string {
	t.Helper()
	page, err := s.SubFolders(context.Background(), c.ID, parent, "", 100)
	if err != nil {
		t.Fatalf("sub folders of %q: %v", parent, err)
	}
	return folderPaths(page.Folders)
}

func TestFoldersCreatedAndImplied(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	f, err := s.CreateFolder(ctx, c.ID, "a/b/c")
	if err != nil || f.Path != "a/b/c" || f.Name != "c" || len(f.ExternalID) != 32 {
		t.Fatalf("create: %+v %v", f, err)
	}
	if _, err := s.CreateFolder(ctx, c.ID, "a/b/c"); !errors.Is(err, ErrExists) {
		t.Fatalf("creating an existing folder: %v, want ErrExists", err)
	}
	if again, err := s.Folder(ctx, c.ID, "a/b/c"); err != nil || again != f {
		t.Fatalf("an existing folder must stay unchanged: %+v %v", again, err)
	}
	// An asset records its public id's folder and its asset folder, with their parents.
	a := newAsset(c, "x/y/pic")
	a.Folder, a.AssetFolder = "x/y", "/m/n/"
	if _, _, err := s.SaveAsset(ctx, a, tempWith(t, s, "p"), true); err != nil {
		t.Fatal(err)
	}
	if got := mustSubFolders(t, s, c, ""); !reflect.DeepEqual(got, []string{"a", "m", "x"}) {
		t.Fatalf("root folders: %v", got)
	}
	for parent, want := range map[string][]string{"a": {"a/b"}, "a/b": {"a/b/c"}, "a/b/c": {}, "x": {"x/y"}, "m": {"m/n"}} {
		if got := mustSubFolders(t, s, c, parent); !reflect.DeepEqual(got, want) {
			t.Errorf("sub folders of %s: %v, want %v", parent, got, want)
		}
	}
	if _, err := s.SubFolders(ctx, c.ID, "a/nope", "", 10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing parent: %v", err)
	}
	// Renaming an asset and changing its asset folder record the new folders.
	if _, err := s.RenameAsset(ctx, a.AssetKey, "upload", "r/pic", "r", false); err != nil {
		t.Fatal(err)
	}
	moved := "q/w"
	if _, err := s.UpdateAsset(ctx, AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: "r/pic"},
		AssetUpdate{AssetFolder: &moved}); err != nil {
		t.Fatal(err)
	}
	if got := mustSubFolders(t, s, c, ""); !reflect.DeepEqual(got, []string{"a", "m", "q", "r", "x"}) {
		t.Fatalf("root folders after rename and move: %v", got)
	}
	// Another cloud sees none of them.
	other, err := s.PutCloud(ctx, Cloud{Name: "other", APIKey: "k2", APISecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustSubFolders(t, s, other, ""); len(got) != 0 {
		t.Fatalf("other cloud's folders: %v", got)
	}
}

func TestSubFoldersPaged(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	for _, p := range []string{"p/e", "p/a", "p/d", "p/b", "p/c", "p/b/deep", "pz"} {
		if _, err := s.CreateFolder(ctx, c.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		page, err := s.SubFolders(ctx, c.ID, "p", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || len(page.Folders) > 2 || pages > 3 {
			t.Fatalf("page %d: %+v", pages, page)
		}
		got = append(got, folderPaths(page.Folders)...)
		if !page.More {
			break
		}
		after = page.Folders[len(page.Folders)-1].Name
	}
	if want := []string{"p/a", "p/b", "p/c", "p/d", "p/e"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("paged: %v, want %v", got, want)
	}
}

func TestDeleteFolder(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	for _, p := range []string{"d/empty/sub/leaf", "d/full", "d/fullish", "d/moved"} {
		if _, err := s.CreateFolder(ctx, c.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	inFull := newAsset(c, "d/full/deep/pic")
	inFull.Folder = "d/full/deep"
	if _, _, err := s.SaveAsset(ctx, inFull, tempWith(t, s, "p"), true); err != nil {
		t.Fatal(err)
	}
	movedIn := newAsset(c, "elsewhere")
	movedIn.AssetFolder = "d/moved"
	if _, _, err := s.SaveAsset(ctx, movedIn, tempWith(t, s, "p"), true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"d", "d/full", "d/full/deep", "d/moved"} {
		if _, err := s.DeleteFolder(ctx, c.ID, p); !errors.Is(err, ErrFolderNotEmpty) {
			t.Errorf("delete %s holding an asset: %v", p, err)
		}
	}
	// "d/fullish" shares a prefix with "d/full" but holds nothing.
	if got, err := s.DeleteFolder(ctx, c.ID, "d/fullish"); err != nil || !reflect.DeepEqual(got, []string{"d/fullish"}) {
		t.Fatalf("delete d/fullish: %v %v", got, err)
	}
	got, err := s.DeleteFolder(ctx, c.ID, "d/empty")
	if want := []string{"d/empty", "d/empty/sub", "d/empty/sub/leaf"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("delete d/empty: %v %v, want %v", got, err, want)
	}
	if got := mustSubFolders(t, s, c, "d"); !reflect.DeepEqual(got, []string{"d/full", "d/moved"}) {
		t.Fatalf("after deletes: %v", got)
	}
	if _, err := s.DeleteFolder(ctx, c.ID, "d/empty"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	// Once its asset is gone the folder stays until it is deleted.
	if _, _, err := s.DeleteAsset(ctx, inFull.AssetKey); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeleteFolder(ctx, c.ID, "d/full"); err != nil || !reflect.DeepEqual(got, []string{"d/full", "d/full/deep"}) {
		t.Fatalf("delete emptied d/full: %v %v", got, err)
	}
}

// rerunMigration applies one embedded migration again, to a catalogue whose tables it creates
// were dropped: what it does to data written before it.
func rerunMigration(t *testing.T, s *Store, name string) {
	t.Helper()
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec(string(body)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestFoldersMigrationRecordsExistingAssets runs migration 0006 over a catalogue written before it.
func TestFoldersMigrationRecordsExistingAssets(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	a := newAsset(c, "old/deep/pic")
	a.Folder, a.AssetFolder = "old/deep", "lib/x"
	if _, _, err := s.SaveAsset(ctx, a, tempWith(t, s, "p"), true); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"DROP TABLE folders", "DROP INDEX assets_cloud_folder", "DROP INDEX assets_cloud_asset_folder"} {
		if _, err := s.writer.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	rerunMigration(t, s, "0006_folders.sql")
	if got := mustSubFolders(t, s, c, ""); !reflect.DeepEqual(got, []string{"lib", "old"}) {
		t.Fatalf("root folders: %v", got)
	}
	page, err := s.SubFolders(ctx, c.ID, "old", "", 10)
	if err != nil || len(page.Folders) != 1 {
		t.Fatalf("old: %+v %v", page, err)
	}
	if f := page.Folders[0]; f.Path != "old/deep" || f.Name != "deep" || len(f.ExternalID) != 32 {
		t.Fatalf("migrated folder: %+v", f)
	}
	if got := mustSubFolders(t, s, c, "lib"); !reflect.DeepEqual(got, []string{"lib/x"}) {
		t.Fatalf("lib: %v", got)
	}
}

func TestRenameFolder(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	for _, p := range []string{"src/one/two", "src/other", "taken"} {
		if _, err := s.CreateFolder(ctx, c.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := s.Folder(ctx, c.ID, "src/one/two")
	a := newAsset(c, "src/one/pic")
	a.Folder, a.AssetFolder = "src/one", "src/one"
	if _, _, err := s.SaveAsset(ctx, a, tempWith(t, s, "p"), true); err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string]error{"taken": ErrExists, "src/one/two/in": ErrFolderIntoItself, "src/one": ErrExists} {
		if _, err := s.RenameFolder(ctx, c.ID, "src/one", to); !errors.Is(err, want) {
			t.Errorf("rename to %s: %v, want %v", to, err, want)
		}
	}
	if _, err := s.RenameFolder(ctx, c.ID, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename missing: %v", err)
	}
	f, err := s.RenameFolder(ctx, c.ID, "src/one", "dst/uno")
	if err != nil || f.Path != "dst/uno" || f.Name != "uno" {
		t.Fatalf("rename: %+v %v", f, err)
	}
	if got := mustSubFolders(t, s, c, "src"); !reflect.DeepEqual(got, []string{"src/other"}) {
		t.Fatalf("src after the move: %v", got)
	}
	if got := mustSubFolders(t, s, c, "dst/uno"); !reflect.DeepEqual(got, []string{"dst/uno/two"}) {
		t.Fatalf("dst/uno: %v", got)
	}
	if after, _ := s.Folder(ctx, c.ID, "dst/uno/two"); after.ExternalID != before.ExternalID || after.Name != "two" {
		t.Fatalf("moved folder %+v, was %+v", after, before)
	}
	got, err := s.Asset(ctx, a.AssetKey)
	if err != nil || got.AssetFolder != "dst/uno" || got.PublicID != "src/one/pic" {
		t.Fatalf("asset after the move: %+v %v", got, err)
	}
	if _, err := s.DeleteFolder(ctx, c.ID, "dst/uno"); !errors.Is(err, ErrFolderNotEmpty) {
		t.Fatalf("the asset moved with its folder: %v", err)
	}
}
