package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"testing"

	"cloudlet/store"
)

// A delete (or overwrite) can remove an asset's file between a delivery's row lookup and its
// reading of the file. That delivery answers 404, as it would a moment later, not 500.
func TestDeliveryOfAFileDeletedMeanwhile(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"going"}}, "a.png", testdata(t, "alpha.png"))
	ctx := context.Background()
	cloud, err := ts.store.CloudByName(ctx, testCloud)
	if err != nil {
		t.Fatal(err)
	}
	if r := ts.get("/"+testCloud+"/image/upload/w_8/going.png", nil); r.status != http.StatusOK {
		t.Fatalf("derived: %d", r.status)
	}
	a, err := ts.store.Asset(ctx, store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: "upload", PublicID: "going"})
	if err != nil {
		t.Fatal(err)
	}
	derived, err := ts.store.DerivedOf(ctx, a)
	if err != nil || len(derived) != 1 {
		t.Fatalf("derived rows: %v %v", derived, err)
	}
	// The rows stay, the files go: the state a delivery sees mid-delete.
	for _, blob := range []string{a.Blob, derived[0].Blob} {
		if err := os.Remove(ts.store.BlobPath(blob)); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/going.png", "/w_8/going.png", "/w_9/going.png"} {
		r := ts.get("/"+testCloud+"/image/upload"+path, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s with its file gone: %d %s, want 404", path, r.status, r.body)
		}
	}
}
