package gosdk

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
)

// remoteOrigin serves testdata/photo.jpg at /media/photo.jpg on loopback; cloudlet runs with
// --remote-type fetch=<origin>/media/ and --allow-private-fetch, and originHits counts what it
// was asked.
var (
	remoteOrigin *httptest.Server
	originHits   atomic.Int64
)

func startRemoteOrigin() *httptest.Server {
	photo, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "photo.jpg"))
	remoteOrigin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		if r.URL.Path != "/media/photo.jpg" || photo == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(photo)
	}))
	return remoteOrigin
}

// TestFetchDelivery: an asset.Image of a remote URL with DeliveryType fetch builds
// /image/fetch/<url>; cloudlet fetches the origin once, serves the bytes and transformations,
// lists and deletes the image as type fetch, and fetches it again after the delete.
func TestFetchDelivery(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	remote := remoteOrigin.URL + "/media/photo.jpg"
	fetchURL := func(transformation string, signed bool) string {
		img, err := cld.Image(remote)
		if err != nil {
			t.Fatal(err)
		}
		img.DeliveryType = api.Fetch
		img.Transformation = transformation
		img.Config.URL.SignURL = signed
		u, err := img.String()
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	before := originHits.Load()

	url := fetchURL("", false)
	if !strings.Contains(url, "/image/fetch/"+remote) {
		t.Fatalf("SDK fetch URL %s does not carry the remote URL", url)
	}
	for i := 0; i < 2; i++ {
		status, header, body := fetch(t, url)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d (X-Cld-Error: %q)", url, status, header.Get("X-Cld-Error"))
		}
		check(t, "md5 of the fetched original", md5Hex(body), md5Hex(photo))
	}
	_, _, format, size := getImage(t, fetchURL("c_scale,w_90/f_png", false), "")
	check(t, "format of the transformed fetch", format, "png")
	check(t, "width of the transformed fetch", size.width, 90)
	_, _, _, size = getImage(t, fetchURL("c_scale,w_45", true), "")
	check(t, "width of the signed fetch", size.width, 45)
	check(t, "origin requests", originHits.Load()-before, int64(1))

	list, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: api.Fetch})
	adminOK(t, "GET /resources/image/fetch", err, list.Error)
	check(t, "fetch listing", publicIDs(list.Assets), []string{remote})
	got := details(t, cld, admin.AssetParams{AssetType: api.Image, DeliveryType: api.Fetch, PublicID: remote})
	check(t, "details etag", got.Etag, md5Hex(photo))

	del, err := cld.Admin.DeleteAssets(ctxFor(t), admin.DeleteAssetsParams{DeliveryType: api.Fetch, PublicIDs: api.CldAPIArray{remote}})
	adminOK(t, "DELETE /resources/image/fetch", err, del.Error)
	check(t, "deleted", del.Deleted, map[string]string{remote: "deleted"})
	if status, header, _ := fetch(t, url); status != http.StatusOK {
		t.Fatalf("GET %s after delete: %d (X-Cld-Error: %q)", url, status, header.Get("X-Cld-Error"))
	}
	check(t, "origin requests after the delete", originHits.Load()-before, int64(2))

	status, header, _ := fetch(t, fetchURL("", false)[:strings.Index(url, "/media/")]+"/elsewhere/photo.jpg")
	check(t, "status outside the allowed prefix", status, http.StatusUnauthorized)
	if !strings.HasPrefix(header.Get("X-Cld-Error"), "Images of type fetch are restricted in this account") {
		t.Errorf("X-Cld-Error outside the allowed prefix: %q", header.Get("X-Cld-Error"))
	}
}
