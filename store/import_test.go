package store

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestImportAssets(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	src := tempWith(t, s, "hello")
	created := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	assets := []Asset{newAsset(c, "one"), newAsset(c, "two"), newAsset(c, "three")}
	assets[0].CreatedAt = created
	if err := s.ImportAssets(ctx, assets, src); err != nil {
		t.Fatal(err)
	}
	if got := len(blobFiles(t, s)); got != 3 {
		t.Fatalf("%d blob files, want 3", got)
	}
	one, err := s.Asset(ctx, assets[0].AssetKey)
	if err != nil {
		t.Fatal(err)
	}
	if !one.CreatedAt.Equal(created) || one.Version != created.Unix() || len(one.Tags) != 2 || one.Context["k"] != "v" {
		t.Fatalf("imported asset: %+v", one)
	}
	body, err := os.ReadFile(s.BlobPath(one.Blob))
	if err != nil || string(body) != "hello" {
		t.Fatalf("blob: %q %v", body, err)
	}
	page, _, err := s.ListAssets(ctx, ListQuery{CloudID: c.ID, Tag: "a", Limit: 10})
	if err != nil || len(page) != 3 {
		t.Fatalf("by tag: %d %v", len(page), err)
	}
	// Deleting one removes only its own link.
	if _, _, err := s.DeleteAsset(ctx, one.AssetKey); err != nil {
		t.Fatal(err)
	}
	if got := len(blobFiles(t, s)); got != 2 {
		t.Fatalf("%d blob files after delete, want 2", got)
	}
	// A key that exists already fails the batch and leaves nothing behind.
	if err := s.ImportAssets(ctx, []Asset{newAsset(c, "four"), newAsset(c, "two")}, src); err == nil {
		t.Fatal("import over an existing key succeeded")
	}
	if _, err := s.Asset(ctx, AssetKey{CloudID: c.ID, ResourceType: "raw", Type: "upload", PublicID: "four"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("four after failed batch: %v", err)
	}
	if got := len(blobFiles(t, s)); got != 2 {
		t.Fatalf("%d blob files after failed import, want 2", got)
	}
}
