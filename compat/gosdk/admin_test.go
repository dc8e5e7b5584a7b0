package gosdk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/admin/search"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

// The Admin API through cloudinary-go (cld.Admin.*) against the shared cloudlet process: every call
// of the Admin API reference, asserted on the shapes and values of its answers. Each test works
// under its own public id prefix (goadm-<run>/...) so that it neither sees nor disturbs the assets
// of the other tests; the only cloud-wide deletion (DeleteAllAssets) is for type private, which no
// other test uses.

// latest returns the most recent exchange (the tests of this package run one at a time, so it
// is the one of the SDK call just made).
func (w *recordingTransport) latest() (exchange, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.log) == 0 {
		return exchange{}, false
	}
	return w.log[len(w.log)-1], true
}

// errorMessage returns the message of a `{"error":{"message":...}}` body ("" for any other body).
func errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Message
}

func urlPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.EscapedPath()
	}
	return raw
}

// adminOK fails t unless the SDK call succeeded: no transport or JSON decoding error, no API
// error, HTTP 200.
func adminOK(t *testing.T, endpoint string, err error, apiErr api.ErrorResp) {
	t.Helper()
	ex, _ := wire.latest()
	if err != nil {
		t.Fatalf("%s: %v (HTTP %d, body %s)", endpoint, err, ex.status, printable(ex.respBody))
	}
	if apiErr.Message != "" || ex.status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, error %q", endpoint, ex.status, apiErr.Message)
	}
}

// expectAPIError checks that the last call failed with the given HTTP status and an error message.
func expectAPIError(t *testing.T, what string, err error, apiErr api.ErrorResp, statuses ...int) string {
	t.Helper()
	ex, _ := wire.latest()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !slices.Contains(statuses, ex.status) || apiErr.Message == "" {
		t.Fatalf("%s: HTTP %d, error %q; want HTTP %v with an error message", what, ex.status, apiErr.Message, statuses)
	}
	return apiErr.Message
}

func uploadFile(t *testing.T, cld *cloudinary.Cloudinary, fixture string, params uploader.UploadParams) *uploader.UploadResult {
	t.Helper()
	path, _ := testdata(t, fixture)
	res, err := cld.Upload.Upload(ctxFor(t), path, params)
	if err != nil {
		t.Fatalf("Upload %s as %q: %v", fixture, params.PublicID, err)
	}
	if res.Error.Message != "" {
		t.Fatalf("Upload %s as %q: error %q", fixture, params.PublicID, res.Error.Message)
	}
	want := params.PublicID
	if params.Folder != "" {
		want = params.Folder + "/" + want
	}
	if params.PublicID != "" && res.PublicID != want {
		t.Fatalf("Upload stored public id %q, want %q", res.PublicID, want)
	}
	return res
}

// deliverVariant GETs an asset's delivery URL built by the SDK with a transformation.
func deliverVariant(t *testing.T, cld *cloudinary.Cloudinary, up *uploader.UploadResult, transformation string) ([]byte, dimensions) {
	t.Helper()
	img, err := cld.Image(up.PublicID + "." + up.Format)
	if err != nil {
		t.Fatal(err)
	}
	img.Version = up.Version
	img.Transformation = transformation
	u, err := img.String()
	if err != nil {
		t.Fatal(err)
	}
	_, body, _, size := getImage(t, u, "")
	return body, size
}

func checkBrief(t *testing.T, a api.BriefAssetResult, assetType, deliveryType, format string, bytes int) {
	t.Helper()
	if !hex32.MatchString(a.AssetID) {
		t.Errorf("%s: asset_id %q", a.PublicID, a.AssetID)
	}
	check(t, a.PublicID+": resource_type", a.AssetType, assetType)
	check(t, a.PublicID+": type", a.Type, deliveryType)
	if a.Version <= 0 || a.CreatedAt.IsZero() || a.Bytes <= 0 {
		t.Errorf("%s: version %d, created_at %v, bytes %d", a.PublicID, a.Version, a.CreatedAt, a.Bytes)
	}
	if format != "" {
		check(t, a.PublicID+": format", a.Format, format)
	}
	if bytes > 0 {
		check(t, a.PublicID+": bytes", a.Bytes, bytes)
	}
	if assetType == "image" && (a.Width <= 0 || a.Height <= 0) {
		t.Errorf("%s: width x height %dx%d", a.PublicID, a.Width, a.Height)
	}
	if !strings.HasPrefix(a.URL, srv.base+"/"+cloudName+"/") || a.SecureURL == "" {
		t.Errorf("%s: url %q, secure_url %q", a.PublicID, a.URL, a.SecureURL)
	}
}

func publicIDs(assets []api.BriefAssetResult) []string {
	out := make([]string, 0, len(assets))
	for _, a := range assets {
		out = append(out, a.PublicID)
	}
	return out
}

// listAll pages through a listing with next_cursor and returns every page.
func listAll(t *testing.T, endpoint string, page func(cursor string) (*admin.AssetsResult, error)) []*admin.AssetsResult {
	t.Helper()
	var pages []*admin.AssetsResult
	cursor := ""
	for {
		res, err := page(cursor)
		adminOK(t, endpoint, err, res.Error)
		pages = append(pages, res)
		if cursor = res.NextCursor; cursor == "" {
			return pages
		}
		if len(pages) > 50 {
			t.Fatalf("%s: more than 50 pages, the cursor does not advance", endpoint)
		}
	}
}

func pageSizes(pages []*admin.AssetsResult) []int {
	var out []int
	for _, p := range pages {
		out = append(out, len(p.Assets))
	}
	return out
}

func allIDs(pages []*admin.AssetsResult) []string {
	var out []string
	for _, p := range pages {
		out = append(out, publicIDs(p.Assets)...)
	}
	return out
}

func rateLimit(t *testing.T, ex exchange) (limit, remaining int, reset time.Time) {
	t.Helper()
	limit, err1 := strconv.Atoi(ex.respHeader.Get("X-FeatureRateLimit-Limit"))
	remaining, err2 := strconv.Atoi(ex.respHeader.Get("X-FeatureRateLimit-Remaining"))
	reset, err3 := http.ParseTime(ex.respHeader.Get("X-FeatureRateLimit-Reset"))
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || remaining < 0 || remaining > limit {
		t.Fatalf("%s %s: rate-limit headers Limit %q, Remaining %q, Reset %q", ex.method, ex.url,
			ex.respHeader.Get("X-FeatureRateLimit-Limit"), ex.respHeader.Get("X-FeatureRateLimit-Remaining"), ex.respHeader.Get("X-FeatureRateLimit-Reset"))
	}
	return limit, remaining, reset
}

func TestAdminPingAndResourceTypes(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	ping, err := cld.Admin.Ping(ctxFor(t))
	adminOK(t, "GET /ping", err, ping.Error)
	check(t, "ping status", ping.Status, "ok")
	_, before, reset1 := rateLimit(t, mustLatest(t))

	types, err := cld.Admin.AssetTypes(ctxFor(t))
	adminOK(t, "GET /resources", err, types.Error)
	for _, rt := range []string{"image", "raw", "video"} {
		if !slices.Contains(types.AssetTypes, rt) {
			t.Errorf("resource_types %v lacks %s", types.AssetTypes, rt)
		}
	}
	_, after, reset2 := rateLimit(t, mustLatest(t))
	if !(after < before || reset2.After(reset1)) {
		t.Errorf("X-FeatureRateLimit-Remaining %d then %d: the second call was not counted", before, after)
	}
}

func mustLatest(t *testing.T) exchange {
	t.Helper()
	ex, ok := wire.latest()
	if !ok {
		t.Fatal("no exchange recorded")
	}
	return ex
}

// TestAdminListing: Assets (default page, max_results paging over three pages, prefix, delivery
// type, raw, tags=true).
func TestAdminListing(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, webp := testdata(t, "photo.webp")
	_, note := testdata(t, "note.txt")
	run := runID(t)
	prefix := "goadm-" + run + "/list/"
	tag := "list" + run
	var ids []string
	for i := 0; i < 11; i++ {
		id := fmt.Sprintf("%simg-%02d", prefix, i)
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Tags: []string{tag, fmt.Sprintf("n%d", i%2)}})
		ids = append(ids, id)
	}
	privateID := prefix + "hidden"
	uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: privateID, Type: api.Private})
	rawID := prefix + "note.txt"
	uploadFile(t, cld, "note.txt", uploader.UploadParams{PublicID: rawID, ResourceType: api.File})

	first, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image})
	adminOK(t, "GET /resources/image", err, first.Error)
	check(t, "items of the default page", len(first.Assets), 10)
	if first.NextCursor == "" {
		t.Error("the default page has no next_cursor although more images exist")
	}

	pages := listAll(t, "GET /resources/image/upload?prefix", func(cursor string) (*admin.AssetsResult, error) {
		return cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: "upload", Prefix: prefix, MaxResults: 4, NextCursor: cursor})
	})
	check(t, "page sizes", pageSizes(pages), []int{4, 4, 3})
	seen := allIDs(pages)
	check(t, "listed public ids", sorted(seen), sorted(ids))
	for _, p := range pages {
		for _, a := range p.Assets {
			checkBrief(t, a, "image", "upload", "webp", len(webp))
			if a.Tags != nil {
				t.Errorf("%s: tags %v without tags=true", a.PublicID, a.Tags)
			}
		}
	}

	everything := listAll(t, "GET /resources/image", func(cursor string) (*admin.AssetsResult, error) {
		return cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, MaxResults: 25, NextCursor: cursor})
	})
	keys := map[string]int{}
	for _, p := range everything {
		for _, a := range p.Assets {
			keys[a.Type+":"+a.PublicID]++
		}
	}
	for k, n := range keys {
		if n > 1 {
			t.Errorf("paging all images lists %s %d times", k, n)
		}
	}
	for _, id := range append(slices.Clone(ids), privateID) {
		typ := "upload"
		if id == privateID {
			typ = "private"
		}
		if keys[typ+":"+id] != 1 {
			t.Errorf("paging all images misses %s:%s", typ, id)
		}
	}

	withTags, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: "upload", Prefix: prefix, MaxResults: 500, Tags: api.Bool(true)})
	adminOK(t, "GET /resources/image/upload?tags=true", err, withTags.Error)
	check(t, "items with tags=true", len(withTags.Assets), len(ids))
	for _, a := range withTags.Assets {
		i, _ := strconv.Atoi(a.PublicID[len(a.PublicID)-2:])
		check(t, a.PublicID+": tags", sorted(a.Tags), sorted([]string{tag, fmt.Sprintf("n%d", i%2)}))
	}

	priv, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: "private", Prefix: prefix})
	adminOK(t, "GET /resources/image/private", err, priv.Error)
	check(t, "private listing", publicIDs(priv.Assets), []string{privateID})
	if len(priv.Assets) == 1 {
		checkBrief(t, priv.Assets[0], "image", "private", "webp", len(webp))
	}

	raw, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.File, DeliveryType: "upload", Prefix: prefix})
	adminOK(t, "GET /resources/raw/upload", err, raw.Error)
	check(t, "raw listing", publicIDs(raw.Assets), []string{rawID})
	if len(raw.Assets) == 1 {
		checkBrief(t, raw.Assets[0], "raw", "upload", "", len(note))
	}
}

// TestAdminListingsByTagContextIDs: AssetsByTag (paged), AssetsByContext, AssetsByIDs,
// AssetByAssetID. (cloudinary-go has no call for GET /resources/by_asset_ids.)
func TestAdminListingsByTagContextIDs(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, png := testdata(t, "alpha.png")
	run := runID(t)
	root := "goadm-" + run

	t.Run("by tag", func(t *testing.T) {
		diagnoseOnFailure(t)
		tag := "bytag" + run
		var ids []string
		for i := 0; i < 5; i++ {
			id := fmt.Sprintf("%s/bytag/img-%d", root, i)
			uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Tags: []string{tag}})
			ids = append(ids, id)
		}
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/bytag/untagged"})
		rawID := root + "/bytag/note.txt"
		uploadFile(t, cld, "note.txt", uploader.UploadParams{PublicID: rawID, ResourceType: api.File, Tags: []string{tag}})

		pages := listAll(t, "GET /resources/image/tags/<tag>", func(cursor string) (*admin.AssetsResult, error) {
			return cld.Admin.AssetsByTag(ctxFor(t), admin.AssetsByTagParams{Tag: tag, MaxResults: 2, Tags: api.Bool(true), NextCursor: cursor})
		})
		check(t, "page sizes", pageSizes(pages), []int{2, 2, 1})
		check(t, "public ids with the tag", sorted(allIDs(pages)), sorted(ids))
		for _, p := range pages {
			for _, a := range p.Assets {
				checkBrief(t, a, "image", "upload", "webp", 0)
				if !slices.Contains(a.Tags, tag) {
					t.Errorf("%s: tags %v", a.PublicID, a.Tags)
				}
			}
		}
		raw, err := cld.Admin.AssetsByTag(ctxFor(t), admin.AssetsByTagParams{AssetType: api.File, Tag: tag})
		adminOK(t, "GET /resources/raw/tags/<tag>", err, raw.Error)
		check(t, "raw files with the tag", publicIDs(raw.Assets), []string{rawID})
	})

	t.Run("by context", func(t *testing.T) {
		diagnoseOnFailure(t)
		key := "shade" + run
		dark := []string{root + "/ctx/a", root + "/ctx/b"}
		for _, id := range dark {
			uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Context: api.CldAPIMap{key: "dark"}})
		}
		light := root + "/ctx/c"
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: light, Context: api.CldAPIMap{key: "light"}})
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/ctx/none", Context: api.CldAPIMap{"alt": "none"}})

		byKey, err := cld.Admin.AssetsByContext(ctxFor(t), admin.AssetsByContextParams{Key: key, Context: api.Bool(true)})
		adminOK(t, "GET /resources/image/context?key", err, byKey.Error)
		check(t, "assets with the key", sorted(publicIDs(byKey.Assets)), sorted(append(slices.Clone(dark), light)))
		for _, a := range byKey.Assets {
			custom, _ := a.Context["custom"].(map[string]interface{})
			if v := custom[key]; v != "dark" && v != "light" {
				t.Errorf("%s: context %v", a.PublicID, a.Context)
			}
		}
		byValue, err := cld.Admin.AssetsByContext(ctxFor(t), admin.AssetsByContextParams{Key: key, Value: "dark"})
		adminOK(t, "GET /resources/image/context?key&value", err, byValue.Error)
		check(t, "assets with the key and value", sorted(publicIDs(byValue.Assets)), sorted(dark))
	})

	t.Run("by ids and by asset id", func(t *testing.T) {
		diagnoseOnFailure(t)
		a := uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/ids/a", Tags: []string{"ids-a"}})
		b := uploadFile(t, cld, "alpha.png", uploader.UploadParams{PublicID: root + "/ids/b"})
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/ids/c"})

		res, err := cld.Admin.AssetsByIDs(ctxFor(t), admin.AssetsByIDsParams{
			PublicIDs: api.CldAPIArray{a.PublicID, b.PublicID, root + "/ids/missing"}, Tags: api.Bool(true)})
		adminOK(t, "GET /resources/image/upload?public_ids", err, res.Error)
		check(t, "public ids found", sorted(publicIDs(res.Assets)), sorted([]string{a.PublicID, b.PublicID}))
		for _, item := range res.Assets {
			switch item.PublicID {
			case a.PublicID:
				checkBrief(t, item, "image", "upload", "webp", 0)
				check(t, "asset_id", item.AssetID, a.AssetID)
				check(t, "tags", item.Tags, []string{"ids-a"})
			case b.PublicID:
				checkBrief(t, item, "image", "upload", "png", len(png))
			}
		}

		one, err := cld.Admin.AssetByAssetID(ctxFor(t), admin.AssetByAssetIDParams{AssetID: b.AssetID})
		adminOK(t, "GET /resources/<asset_id>", err, one.Error)
		check(t, "public_id by asset id", one.PublicID, b.PublicID)
		check(t, "etag by asset id", one.Etag, md5Hex(png))
	})
}

// TestAdminDetails: Asset with colors, exif, image_metadata, faces and phash.
func TestAdminDetails(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	root := "goadm-" + runID(t)
	// No FaceCoordinates here: cloudinary-go sends them as face_coordinates[0]=[10,20,30,40], an
	// encoding no Cloudinary documentation describes (the npm suite checks coordinates given as
	// "10,20,30,40").
	up := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/details/photo"})
	asset := func(t *testing.T, p admin.AssetParams) *admin.AssetResult {
		t.Helper()
		p.PublicID = up.PublicID
		res, err := cld.Admin.Asset(ctxFor(t), p)
		adminOK(t, "GET /resources/image/upload/<id>", err, res.Error)
		check(t, "public_id", res.PublicID, up.PublicID)
		return res
	}

	t.Run("plain", func(t *testing.T) {
		diagnoseOnFailure(t)
		res := asset(t, admin.AssetParams{})
		check(t, "asset_id", res.AssetID, up.AssetID)
		check(t, "etag", res.Etag, md5Hex(photo))
		check(t, "bytes", res.Bytes, len(photo))
		check(t, "format", res.Format, "jpg")
		check(t, "derived", len(res.Derived), 0)
		if res.Colors != nil || res.Exif != nil {
			t.Errorf("colors %v, exif %v without asking", res.Colors, res.Exif)
		}
		missing := root + "/details/strange_name"
		gone, err := cld.Admin.Asset(ctxFor(t), admin.AssetParams{PublicID: missing})
		msg := expectAPIError(t, "details of a missing id", err, gone.Error, http.StatusNotFound)
		check(t, "not-found message", msg, "Resource not found - "+missing)
	})

	t.Run("colors", func(t *testing.T) {
		diagnoseOnFailure(t)
		res := asset(t, admin.AssetParams{Colors: api.Bool(true)})
		if len(res.Colors) == 0 || len(res.Colors) > 32 {
			t.Fatalf("colors: %v", res.Colors)
		}
		hexColor := regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
		total, last := 0.0, 101.0
		for i, pair := range res.Colors {
			if len(pair) != 2 {
				t.Fatalf("colors[%d] = %v, want [hex, percent]", i, pair)
			}
			hex, _ := pair[0].(string)
			share, ok := pair[1].(float64)
			if !hexColor.MatchString(hex) || !ok || share <= 0 || share > 100 || share > last {
				t.Errorf("colors[%d] = %v: want a hex colour and a share in (0, 100], largest first", i, pair)
			}
			total += share
			last = share
		}
		if total > 100.5 {
			t.Errorf("color shares add up to %v", total)
		}
		palettes := [][][]interface{}{res.Predominant.Google, res.Predominant.Cloudinary}
		if len(palettes[0]) == 0 && len(palettes[1]) == 0 {
			t.Fatalf("predominant has neither a google nor a cloudinary palette: %+v", res.Predominant)
		}
		for _, palette := range palettes {
			for _, pair := range palette {
				name, _ := pair[0].(string)
				share, _ := pair[1].(float64)
				if len(pair) != 2 || name == "" || share <= 0 || share > 100 {
					t.Errorf("predominant entry %v", pair)
				}
			}
		}
	})

	t.Run("exif and image_metadata", func(t *testing.T) {
		diagnoseOnFailure(t)
		res := asset(t, admin.AssetParams{Exif: api.Bool(true)})
		exif, ok := res.Exif.(map[string]interface{})
		if !ok {
			t.Fatalf("exif = %#v, want an object", res.Exif)
		}
		check(t, "exif.Make", exif["Make"], any("Cloudlet"))
		check(t, "exif.Model", exif["Model"], any("Testcam 640"))
		check(t, "exif.DateTimeOriginal", exif["DateTimeOriginal"], any("2024:05:17 14:32:09"))
		// ImageMetadataResult is a map[string]string: a non-string value fails the SDK's decoding.
		meta := asset(t, admin.AssetParams{ImageMetadata: api.Bool(true)})
		check(t, "image_metadata.Make", meta.ImageMetadata["Make"], "Cloudlet")
		check(t, "image_metadata.Model", meta.ImageMetadata["Model"], "Testcam 640")
	})

	t.Run("faces", func(t *testing.T) {
		diagnoseOnFailure(t)
		// photo.jpg is a noisy gradient: no face to find, so faces=true gives an empty list.
		res := asset(t, admin.AssetParams{Faces: api.Bool(true)})
		if res.Faces == nil || len(res.Faces) != 0 {
			t.Errorf("faces = %#v, want an empty array", res.Faces)
		}
		if got := rawField(t, "faces"); got != "[]" {
			t.Errorf("faces=true on an image without faces: faces = %s, want []", got)
		}
	})

	t.Run("faces, colors and exif together", func(t *testing.T) {
		diagnoseOnFailure(t)
		res := asset(t, admin.AssetParams{Faces: api.Bool(true), Colors: api.Bool(true), Exif: api.Bool(true)})
		if got := rawField(t, "faces"); !strings.HasPrefix(got, "[") {
			t.Errorf("faces = %s, want an array", got)
		}
		if len(res.Colors) == 0 {
			t.Error("no colors")
		}
		if exif, _ := res.Exif.(map[string]interface{}); exif["Make"] != "Cloudlet" {
			t.Errorf("exif %v", res.Exif)
		}
	})

	t.Run("phash", func(t *testing.T) {
		diagnoseOnFailure(t)
		res := asset(t, admin.AssetParams{Phash: api.Bool(true)})
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(res.Phash) {
			t.Errorf("phash %q, want 16 hex digits", res.Phash)
		}
	})
}

// rawField returns a top-level field of the last response body as raw JSON ("" when absent).
func rawField(t *testing.T, name string) string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(mustLatest(t).respBody, &raw); err != nil {
		t.Fatalf("response is not a JSON object: %v", err)
	}
	return string(raw[name])
}

// TestAdminUpdate: UpdateAsset replaces tags and context.
func TestAdminUpdate(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	pid := "goadm-" + runID(t) + "/update/photo"
	uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: pid, Tags: []string{"old-a", "old-b"}, Context: api.CldAPIMap{"caption": "old"}})
	res, err := cld.Admin.UpdateAsset(ctxFor(t), admin.UpdateAssetParams{PublicID: pid,
		Tags: api.CldAPIArray{"new-a", "new-b"}, Context: api.CldAPIMap{"credit": "go"}})
	adminOK(t, "POST /resources/image/upload/<id>", err, res.Error)
	check(t, "public_id", res.PublicID, pid)
	check(t, "tags (replaced)", sorted(res.Tags), []string{"new-a", "new-b"})
	check(t, "context (replaced)", res.Context.Custom, map[string]string{"credit": "go"})
	after := details(t, cld, admin.AssetParams{PublicID: pid})
	check(t, "tags after update", sorted(after.Tags), []string{"new-a", "new-b"})
	check(t, "context after update", after.Context.Custom, map[string]string{"credit": "go"})
}

// TestAdminTags: Tags with a prefix, sorted, paged, per resource type.
func TestAdminTags(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	run := runID(t)
	p := "tg" + run + "-"
	uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: "goadm-" + run + "/tags/a", Tags: []string{p + "cherry", p + "apple", "unrelated"}})
	uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: "goadm-" + run + "/tags/b", Tags: []string{p + "banana", p + "apple"}})
	uploadFile(t, cld, "note.txt", uploader.UploadParams{PublicID: "goadm-" + run + "/tags/raw.txt", ResourceType: api.File, Tags: []string{p + "rawonly"}})

	all, err := cld.Admin.Tags(ctxFor(t), admin.TagsParams{Prefix: p})
	adminOK(t, "GET /tags/image?prefix", err, all.Error)
	check(t, "tags with the prefix", all.Tags, []string{p + "apple", p + "banana", p + "cherry"})
	page1, err := cld.Admin.Tags(ctxFor(t), admin.TagsParams{Prefix: p, MaxResults: 2})
	adminOK(t, "GET /tags/image?max_results", err, page1.Error)
	check(t, "first page", page1.Tags, []string{p + "apple", p + "banana"})
	if page1.NextCursor == "" {
		t.Fatal("no next_cursor after the first page")
	}
	page2, err := cld.Admin.Tags(ctxFor(t), admin.TagsParams{Prefix: p, MaxResults: 2, NextCursor: page1.NextCursor})
	adminOK(t, "GET /tags/image?next_cursor", err, page2.Error)
	check(t, "second page", page2.Tags, []string{p + "cherry"})
	check(t, "next_cursor of the last page", page2.NextCursor, "")
	raw, err := cld.Admin.Tags(ctxFor(t), admin.TagsParams{AssetType: api.File, Prefix: p})
	adminOK(t, "GET /tags/raw", err, raw.Error)
	check(t, "raw tags", raw.Tags, []string{p + "rawonly"})
}

// TestAdminTransformations: ListTransformations, GetTransformation (info and derived),
// CreateTransformation, UpdateTransformation (allowed_for_strict, unsafe_update), DeleteTransformation.
func TestAdminTransformations(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	run := runID(t)
	named := "goadm_" + run
	const used = "c_fill,h_40,w_40"
	photo := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: "goadm-" + run + "/tx/photo"})
	fill, size := deliverVariant(t, cld, photo, used)
	check(t, "size of the fill", size, dimensions{40, 40})

	created, err := cld.Admin.CreateTransformation(ctxFor(t), admin.CreateTransformationParams{Name: named, Transformation: "c_fill,h_30,w_30"})
	adminOK(t, "POST /transformations", err, created.Error)
	check(t, "create message", created.Message, "created")
	dup, err := cld.Admin.CreateTransformation(ctxFor(t), admin.CreateTransformationParams{Name: named, Transformation: "w_10"})
	expectAPIError(t, "creating an existing name", err, dup.Error, http.StatusConflict)

	list, err := cld.Admin.ListTransformations(ctxFor(t), admin.ListTransformationsParams{MaxResults: 500})
	adminOK(t, "GET /transformations", err, list.Error)
	byName := map[string]admin.TransformationListItem{}
	for _, item := range list.Transformations {
		if _, dup := byName[item.Name]; dup {
			t.Errorf("transformation %q listed twice", item.Name)
		}
		byName[item.Name] = item
	}
	namedItem, ok := byName["t_"+named]
	if !ok {
		namedItem, ok = byName[named]
	}
	if !ok || !namedItem.Named {
		t.Errorf("the listing lacks the named transformation %s: %+v", named, list.Transformations)
	}
	if item, ok := byName[used]; !ok || !item.Used || item.Named || item.AllowedForStrict {
		t.Errorf("the listing's entry for %s: %+v (present %v), want used, not named, not allowed_for_strict", used, item, ok)
	}
	onlyNamed, err := cld.Admin.ListTransformations(ctxFor(t), admin.ListTransformationsParams{Named: api.Bool(true), MaxResults: 500})
	adminOK(t, "GET /transformations?named=true", err, onlyNamed.Error)
	for _, item := range onlyNamed.Transformations {
		if !item.Named {
			t.Errorf("named=true lists %+v", item)
		}
	}

	get := func(t *testing.T, name string) *admin.GetTransformationResult {
		t.Helper()
		res, err := cld.Admin.GetTransformation(ctxFor(t), admin.GetTransformationParams{Transformation: name})
		adminOK(t, "GET /transformations?transformation="+name, err, res.Error)
		return res
	}
	details := get(t, used)
	check(t, "name", details.Name, used)
	check(t, "used", details.Used, true)
	if len(details.Info) != 1 || details.Info[0]["width"] != 40.0 || details.Info[0]["height"] != 40.0 || details.Info[0]["crop"] != "fill" {
		t.Errorf("info = %v, want [{width 40, height 40, crop fill}]", details.Info)
	}
	if len(details.Derived) != 1 {
		t.Fatalf("derived = %+v, want the one fill", details.Derived)
	}
	d := details.Derived[0]
	check(t, "derived public_id", d.PublicID, photo.PublicID)
	check(t, "derived resource_type", d.ResourceType, "image")
	check(t, "derived type", d.Type, "upload")
	check(t, "derived format", d.Format, "jpg")
	check(t, "derived bytes", d.Bytes, len(fill))
	if !hex32.MatchString(d.ID) {
		t.Errorf("derived id %q", d.ID)
	}
	_, body, _, _ := getImage(t, d.URL, "")
	check(t, "md5 of the derived url", md5Hex(body), md5Hex(fill))
	assetDerived := details2(t, cld, photo.PublicID)
	if len(assetDerived) != 1 || assetDerived[0]["id"] != d.ID {
		t.Errorf("the asset's derived list %v does not hold id %s", assetDerived, d.ID)
	}

	namedDetails := get(t, named)
	check(t, "named", namedDetails.Named, true)
	if len(namedDetails.Info) != 1 || namedDetails.Info[0]["width"] != 30.0 || namedDetails.Info[0]["crop"] != "fill" {
		t.Errorf("info of %s = %v", named, namedDetails.Info)
	}

	update := func(t *testing.T, p admin.UpdateTransformationParams) {
		t.Helper()
		res, err := cld.Admin.UpdateTransformation(ctxFor(t), p)
		adminOK(t, "PUT /transformations", err, res.Error)
		check(t, "update message", res.Message, "updated")
	}
	update(t, admin.UpdateTransformationParams{Transformation: used, AllowedForStrict: api.Bool(true)})
	check(t, used+" allowed_for_strict", get(t, used).AllowedForStrict, true)
	for _, flag := range []bool{false, true} {
		update(t, admin.UpdateTransformationParams{Transformation: named, AllowedForStrict: api.Bool(flag)})
		check(t, named+" allowed_for_strict", get(t, named).AllowedForStrict, flag)
	}
	update(t, admin.UpdateTransformationParams{Transformation: named, UnsafeUpdate: "c_fill,h_20,w_20"})
	if info := get(t, named).Info; len(info) != 1 || info[0]["width"] != 20.0 {
		t.Errorf("info after unsafe_update = %v", info)
	}
	_, viaNamed := deliverVariant(t, cld, photo, "t_"+named)
	check(t, "size delivered by t_"+named, viaNamed, dimensions{20, 20})

	del := func(t *testing.T, name string) {
		t.Helper()
		res, err := cld.Admin.DeleteTransformation(ctxFor(t), admin.DeleteTransformationParams{Transformation: name})
		adminOK(t, "DELETE /transformations", err, res.Error)
		check(t, "delete message", res.Message, "deleted")
		gone, err := cld.Admin.GetTransformation(ctxFor(t), admin.GetTransformationParams{Transformation: name})
		expectAPIError(t, "details of the deleted "+name, err, gone.Error, http.StatusNotFound)
	}
	del(t, named)
	del(t, used)
	for _, x := range details2(t, cld, photo.PublicID) {
		if x["transformation"] == used {
			t.Errorf("deleting %s left its derived image %v", used, x)
		}
	}
}

// details2 returns an image's derived list as the SDK decodes it.
func details2(t *testing.T, cld *cloudinary.Cloudinary, publicID string) []map[string]interface{} {
	t.Helper()
	var out []map[string]interface{}
	for _, raw := range details(t, cld, admin.AssetParams{PublicID: publicID}).Derived {
		m, _ := raw.(map[string]interface{})
		out = append(out, m)
	}
	return out
}

// TestAdminDeletes: DeleteAssets (and keep_original), DeleteAssetsByPrefix, DeleteAssetsByTag,
// DeleteAllAssets (type private), DeleteDerivedAssets, DeleteDerivedAssetsByTransformation.
func TestAdminDeletes(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	run := runID(t)
	root := "goadm-" + run
	counts := func(n, d float64) map[string]interface{} {
		return map[string]interface{}{"original": n, "derived": d}
	}

	t.Run("by public ids, then keep_original", func(t *testing.T) {
		diagnoseOnFailure(t)
		a := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/del/a"})
		b := uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/del/b"})
		keep := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/del/keep"})
		deliverVariant(t, cld, a, "c_scale,w_20")
		deliverVariant(t, cld, keep, "c_scale,w_20")
		deliverVariant(t, cld, keep, "c_scale,w_30")
		missing := root + "/del/missing"

		res, err := cld.Admin.DeleteAssets(ctxFor(t), admin.DeleteAssetsParams{PublicIDs: api.CldAPIArray{a.PublicID, b.PublicID, missing}})
		adminOK(t, "DELETE /resources/image/upload (public_ids)", err, res.Error)
		check(t, "deleted", res.Deleted, map[string]string{a.PublicID: "deleted", b.PublicID: "deleted", missing: "not_found"})
		check(t, "deleted_counts", res.DeletedCounts, map[string]interface{}{
			a.PublicID: counts(1, 1), b.PublicID: counts(1, 0), missing: counts(0, 0)})
		check(t, "partial", res.Partial, false)
		check(t, "next_cursor", res.NextCursor, "")
		expectAdmin404(t, cld, admin.AssetParams{PublicID: a.PublicID})

		derivedOnly, err := cld.Admin.DeleteAssets(ctxFor(t), admin.DeleteAssetsParams{PublicIDs: api.CldAPIArray{keep.PublicID}, KeepOriginal: api.Bool(true)})
		adminOK(t, "DELETE /resources/image/upload (keep_original)", err, derivedOnly.Error)
		check(t, "deleted (keep_original)", derivedOnly.Deleted, map[string]string{keep.PublicID: "deleted"})
		check(t, "deleted_counts (keep_original)", derivedOnly.DeletedCounts, map[string]interface{}{keep.PublicID: counts(0, 2)})
		kept := details(t, cld, admin.AssetParams{PublicID: keep.PublicID})
		check(t, "etag of the kept original", kept.Etag, md5Hex(photo))
		check(t, "derived after keep_original", len(kept.Derived), 0)
	})

	t.Run("by prefix", func(t *testing.T) {
		diagnoseOnFailure(t)
		inside := []string{root + "/bp/x/one", root + "/bp/x/two"}
		for _, id := range inside {
			uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id})
		}
		outside := uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/bp/xylophone"})
		res, err := cld.Admin.DeleteAssetsByPrefix(ctxFor(t), admin.DeleteAssetsByPrefixParams{Prefix: api.CldAPIArray{root + "/bp/x/"}})
		adminOK(t, "DELETE /resources/image/upload (prefix)", err, res.Error)
		check(t, "deleted", res.Deleted, map[string]string{inside[0]: "deleted", inside[1]: "deleted"})
		check(t, "partial", res.Partial, false)
		left, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: "upload", Prefix: root + "/bp/"})
		adminOK(t, "GET /resources/image/upload?prefix", err, left.Error)
		check(t, "left under the prefix", publicIDs(left.Assets), []string{outside.PublicID})
	})

	t.Run("by tag", func(t *testing.T) {
		diagnoseOnFailure(t)
		tag := "deltag" + run
		tagged := []string{root + "/bt/one", root + "/bt/two"}
		for _, id := range tagged {
			uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Tags: []string{tag}})
		}
		untagged := uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/bt/three"})
		rawID := root + "/bt/raw.txt"
		uploadFile(t, cld, "note.txt", uploader.UploadParams{PublicID: rawID, ResourceType: api.File, Tags: []string{tag}})
		res, err := cld.Admin.DeleteAssetsByTag(ctxFor(t), admin.DeleteAssetsByTagParams{Tag: tag})
		adminOK(t, "DELETE /resources/image/tags/<tag>", err, res.Error)
		check(t, "deleted", res.Deleted, map[string]string{tagged[0]: "deleted", tagged[1]: "deleted"})
		left, err := cld.Admin.AssetsByTag(ctxFor(t), admin.AssetsByTagParams{Tag: tag})
		adminOK(t, "GET /resources/image/tags/<tag>", err, left.Error)
		check(t, "images left with the tag", len(left.Assets), 0)
		details(t, cld, admin.AssetParams{PublicID: untagged.PublicID})
		raw, err := cld.Admin.AssetsByTag(ctxFor(t), admin.AssetsByTagParams{AssetType: api.File, Tag: tag})
		adminOK(t, "GET /resources/raw/tags/<tag>", err, raw.Error)
		check(t, "raw files left with the tag", publicIDs(raw.Assets), []string{rawID})
	})

	t.Run("all of type private", func(t *testing.T) {
		diagnoseOnFailure(t)
		priv := []string{root + "/all/p1", root + "/all/p2"}
		for _, id := range priv {
			uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Type: api.Private})
		}
		pub := uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: root + "/all/public"})
		res, err := cld.Admin.DeleteAllAssets(ctxFor(t), admin.DeleteAllAssetsParams{DeliveryType: api.Private})
		adminOK(t, "DELETE /resources/image/private (all)", err, res.Error)
		for _, id := range priv {
			check(t, "deleted["+id+"]", res.Deleted[id], "deleted")
		}
		check(t, "partial", res.Partial, false)
		left, err := cld.Admin.Assets(ctxFor(t), admin.AssetsParams{AssetType: api.Image, DeliveryType: "private", MaxResults: 500})
		adminOK(t, "GET /resources/image/private", err, left.Error)
		check(t, "private images left", publicIDs(left.Assets), []string{})
		details(t, cld, admin.AssetParams{PublicID: pub.PublicID})
	})

	t.Run("derived by ids", func(t *testing.T) {
		diagnoseOnFailure(t)
		p := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/dd/photo"})
		deliverVariant(t, cld, p, "c_scale,w_20")
		deliverVariant(t, cld, p, "c_scale,w_30")
		before := details2(t, cld, p.PublicID)
		if len(before) != 2 {
			t.Fatalf("derived %v, want two", before)
		}
		drop, _ := before[0]["id"].(string)
		stay, _ := before[1]["id"].(string)
		res, err := cld.Admin.DeleteDerivedAssets(ctxFor(t), admin.DeleteDerivedAssetsParams{DerivedAssetIDs: api.CldAPIArray{drop}})
		adminOK(t, "DELETE /derived_resources", err, res.Error)
		check(t, "deleted", res.Deleted, map[string]string{drop: "deleted"})
		after := details2(t, cld, p.PublicID)
		if len(after) != 1 || after[0]["id"] != stay {
			t.Errorf("derived after the delete: %v, want only %s", after, stay)
		}
		unknown := strings.Repeat("f", 32)
		again, err := cld.Admin.DeleteDerivedAssets(ctxFor(t), admin.DeleteDerivedAssetsParams{DerivedAssetIDs: api.CldAPIArray{drop, unknown}})
		adminOK(t, "DELETE /derived_resources", err, again.Error)
		check(t, "deleted again", again.Deleted, map[string]string{drop: "not_found", unknown: "not_found"})
	})

	t.Run("derived by transformation", func(t *testing.T) {
		diagnoseOnFailure(t)
		p := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/dt/photo"})
		deliverVariant(t, cld, p, "c_scale,w_20")
		deliverVariant(t, cld, p, "c_scale,w_30")
		res, err := cld.Admin.DeleteDerivedAssetsByTransformation(ctxFor(t), admin.DeleteDerivedAssetsByTransformationParams{
			PublicIDs: api.CldAPIArray{p.PublicID}, Transformations: "c_scale,w_20"})
		adminOK(t, "DELETE /resources/image/upload (keep_original, transformations)", err, res.Error)
		check(t, "deleted", res.Deleted, map[string]string{p.PublicID: "deleted"})
		if res.DeletedCounts != nil {
			check(t, "deleted_counts", res.DeletedCounts, map[string]interface{}{p.PublicID: counts(0, 1)})
		}
		left := details2(t, cld, p.PublicID)
		if len(left) != 1 || left[0]["transformation"] != "c_scale,w_30" {
			t.Errorf("derived left: %v, want only c_scale,w_30", left)
		}
		check(t, "etag of the original", details(t, cld, admin.AssetParams{PublicID: p.PublicID}).Etag, md5Hex(photo))
	})
}

// TestAdminUsage: Usage reflects uploads, derived images and delivered bytes.
func TestAdminUsage(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, jpg := testdata(t, "photo.jpg")
	_, png := testdata(t, "alpha.png")
	root := "goadm-" + runID(t)
	before, err := cld.Admin.Usage(ctxFor(t), admin.UsageParams{})
	adminOK(t, "GET /usage", err, before.Error)
	if before.Plan == "" || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`).MatchString(before.LastUpdated) {
		t.Errorf("plan %q, last_updated %q", before.Plan, before.LastUpdated)
	}
	if before.Objects.Limit <= 0 || before.Storage.Limit <= 0 || before.Bandwidth.Limit <= 0 {
		t.Errorf("limits: objects %d, storage %d, bandwidth %d", before.Objects.Limit, before.Storage.Limit, before.Bandwidth.Limit)
	}

	a := uploadFile(t, cld, "photo.jpg", uploader.UploadParams{PublicID: root + "/usage/a"})
	uploadFile(t, cld, "alpha.png", uploader.UploadParams{PublicID: root + "/usage/b"})
	original, _ := deliverVariant(t, cld, a, "")
	scaled, _ := deliverVariant(t, cld, a, "c_scale,w_25")

	after, err := cld.Admin.Usage(ctxFor(t), admin.UsageParams{})
	adminOK(t, "GET /usage", err, after.Error)
	check(t, "resources added", after.Resources-before.Resources, 2)
	check(t, "derived resources added", after.DerivedResources-before.DerivedResources, 1)
	if grew := after.Storage.Usage - before.Storage.Usage; grew < int64(len(jpg)+len(png)) {
		t.Errorf("storage grew by %d, want at least the %d uploaded bytes", grew, len(jpg)+len(png))
	}
	if grew := after.Bandwidth.Usage - before.Bandwidth.Usage; grew < int64(len(original)+len(scaled)) {
		t.Errorf("bandwidth grew by %d, want at least the %d delivered bytes", grew, len(original)+len(scaled))
	}
	if after.Requests <= before.Requests {
		t.Errorf("requests %d then %d", before.Requests, after.Requests)
	}
	// The reference's sample: objects 11330 = resources 1239 + derived_resources 10091.
	for _, u := range []*admin.UsageResult{before, after} {
		if u.Objects.Usage != u.Resources+u.DerivedResources {
			t.Errorf("objects.usage %d, want resources %d + derived_resources %d", u.Objects.Usage, u.Resources, u.DerivedResources)
		}
	}
}

// TestAdminSearch: Search with an expression, sort_by, max_results, next_cursor and with_field.
func TestAdminSearch(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, png := testdata(t, "alpha.png")
	run := runID(t)
	root := "goadm-" + run
	tag := "srch" + run
	pngs := []string{root + "/search/p1", root + "/search/p2", root + "/search/p3"}
	for i := len(pngs) - 1; i >= 0; i-- { // created in reverse: the sort must come from sort_by
		uploadFile(t, cld, "alpha.png", uploader.UploadParams{PublicID: pngs[i], Tags: []string{tag}, Context: api.CldAPIMap{"alt": "alt " + pngs[i][len(pngs[i])-2:]}})
	}
	for _, id := range []string{root + "/search/w1", root + "/search/w2"} {
		uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: id, Tags: []string{tag}})
	}
	uploadFile(t, cld, "alpha.png", uploader.UploadParams{PublicID: root + "/search/untagged"})

	query := search.Query{Expression: "tags:" + tag + " AND format:png",
		SortBy: []search.SortByField{{"public_id": search.Ascending}}, MaxResults: 2}
	first, err := cld.Admin.Search(ctxFor(t), query)
	adminOK(t, "POST /resources/search", err, first.Error)
	check(t, "total_count", first.TotalCount, 3)
	var ids []string
	for _, a := range first.Assets {
		ids = append(ids, a.PublicID)
		check(t, a.PublicID+": format", a.Format, "png")
		check(t, a.PublicID+": resource_type", a.ResourceType, "image")
		check(t, a.PublicID+": type", a.Type, "upload")
		check(t, a.PublicID+": bytes", a.Bytes, len(png))
		if !hex32.MatchString(a.AssetID) || a.CreatedAt.IsZero() || a.Width <= 0 || a.URL == "" {
			t.Errorf("search result %+v", a)
		}
	}
	check(t, "first page", ids, pngs[:2])
	if first.NextCursor == "" {
		t.Fatal("no next_cursor for the third match")
	}
	var sent map[string]interface{}
	if err := json.Unmarshal(wire.last(t, http.MethodPost, "/resources/search").reqBody, &sent); err != nil || sent["expression"] != query.Expression {
		t.Errorf("the SDK posted %v (%v), want a JSON body with the expression", sent, err)
	}
	query.NextCursor = first.NextCursor
	second, err := cld.Admin.Search(ctxFor(t), query)
	adminOK(t, "POST /resources/search (next_cursor)", err, second.Error)
	var ids2 []string
	for _, a := range second.Assets {
		ids2 = append(ids2, a.PublicID)
	}
	check(t, "second page", ids2, pngs[2:])
	check(t, "next_cursor of the last page", second.NextCursor, "")

	desc, err := cld.Admin.Search(ctxFor(t), search.Query{Expression: "tags:" + tag,
		SortBy: []search.SortByField{{"public_id": search.Descending}}, WithField: []string{search.TagsField, search.ContextField}, MaxResults: 10})
	adminOK(t, "POST /resources/search (with_field)", err, desc.Error)
	check(t, "total_count", desc.TotalCount, 5)
	var all []string
	for _, a := range desc.Assets {
		all = append(all, a.PublicID)
		if !slices.Contains(a.Tags, tag) {
			t.Errorf("%s: tags %v with with_field tags", a.PublicID, a.Tags)
		}
		if a.PublicID == pngs[0] {
			check(t, "flat context in search results", map[string]string(a.Context), map[string]string{"alt": "alt p1"})
		}
	}
	want := slices.Clone(all)
	slices.Sort(want)
	slices.Reverse(want)
	check(t, "descending public ids", all, want)
}

// TestAdminFolders: CreateFolder, RootFolders, SubFolders, DeleteFolder (refused when not empty).
func TestAdminFolders(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	root := "gofold" + runID(t)
	created, err := cld.Admin.CreateFolder(ctxFor(t), admin.CreateFolderParams{Folder: root + "/empty/sub"})
	adminOK(t, "POST /folders/<path>", err, created.Error)
	check(t, "success", created.Success, true)
	check(t, "path", created.Path, root+"/empty/sub")
	check(t, "name", created.Name, "sub")
	uploadFile(t, cld, "photo.webp", uploader.UploadParams{PublicID: "pic", Folder: root + "/full"})

	roots, err := cld.Admin.RootFolders(ctxFor(t), admin.RootFoldersParams{MaxResults: 500})
	adminOK(t, "GET /folders", err, roots.Error)
	found := false
	for _, f := range roots.Folders {
		if f.Name == root {
			found = true
			check(t, "root folder path", f.Path, root)
		}
	}
	if !found {
		t.Errorf("root folders %+v lack %s", roots.Folders, root)
	}
	if roots.TotalCount < len(roots.Folders) {
		t.Errorf("total_count %d < %d folders listed", roots.TotalCount, len(roots.Folders))
	}

	subs := func(path string) []string {
		t.Helper()
		res, err := cld.Admin.SubFolders(ctxFor(t), admin.SubFoldersParams{Folder: path})
		adminOK(t, "GET /folders/<path>", err, res.Error)
		var out []string
		for _, f := range res.Folders {
			out = append(out, f.Name+"="+f.Path)
		}
		slices.Sort(out)
		return out
	}
	check(t, "sub folders", subs(root), []string{"empty=" + root + "/empty", "full=" + root + "/full"})
	check(t, "sub folders of empty", subs(root+"/empty"), []string{"sub=" + root + "/empty/sub"})
	missing, err := cld.Admin.SubFolders(ctxFor(t), admin.SubFoldersParams{Folder: root + "/nope"})
	expectAPIError(t, "sub folders of a missing folder", err, missing.Error, http.StatusNotFound)

	refused, err := cld.Admin.DeleteFolder(ctxFor(t), admin.DeleteFolderParams{Folder: root + "/full"})
	expectAPIError(t, "deleting a folder that holds an image", err, refused.Error, http.StatusBadRequest)
	check(t, "sub folders after the refusal", subs(root), []string{"empty=" + root + "/empty", "full=" + root + "/full"})

	deleted, err := cld.Admin.DeleteFolder(ctxFor(t), admin.DeleteFolderParams{Folder: root + "/empty"})
	adminOK(t, "DELETE /folders/<path>", err, deleted.Error)
	check(t, "deleted folders", sorted(deleted.Deleted), []string{root + "/empty", root + "/empty/sub"})
	check(t, "sub folders after the delete", subs(root), []string{"full=" + root + "/full"})
}

// TestAdminUploadPresets: CreateUploadPreset, ListUploadPresets, GetUploadPreset,
// UpdateUploadPreset, uploads with the preset (signed and UnsignedUpload), DeleteUploadPreset.
func TestAdminUploadPresets(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, png := testdata(t, "alpha.png")
	run := runID(t)
	name, unsignedName := "goadm_preset_"+run, "goadm_unsigned_"+run
	folder := "goadm-" + run + "/preset"
	settingsOf := func(v interface{}) (map[string]interface{}, []string) {
		s, _ := v.(map[string]interface{})
		var tags []string
		switch x := s["tags"].(type) {
		case string:
			tags = strings.Split(x, ",")
		case []interface{}:
			for _, tag := range x {
				str, _ := tag.(string)
				tags = append(tags, str)
			}
		}
		return s, sorted(tags)
	}

	created, err := cld.Admin.CreateUploadPreset(ctxFor(t), admin.CreateUploadPresetParams{Name: name, Unsigned: api.Bool(false),
		UploadParams: uploader.UploadParams{Tags: api.CldAPIArray{"from-preset", "p2"}, Folder: folder}})
	adminOK(t, "POST /upload_presets", err, created.Error)
	check(t, "create message", created.Message, "created")
	check(t, "created name", created.Name, name)

	list, err := cld.Admin.ListUploadPresets(ctxFor(t), admin.ListUploadPresetsParams{MaxResults: 500})
	adminOK(t, "GET /upload_presets", err, list.Error)
	found := false
	for _, p := range list.Presets {
		if p.Name == name {
			found = true
			s, _ := settingsOf(p.Settings)
			check(t, "listed unsigned", p.Unsigned, false)
			check(t, "listed folder", s["folder"], any(folder))
		}
	}
	if !found {
		t.Errorf("upload presets %+v lack %s", list.Presets, name)
	}

	one, err := cld.Admin.GetUploadPreset(ctxFor(t), admin.GetUploadPresetParams{Name: name})
	adminOK(t, "GET /upload_presets/<name>", err, one.Error)
	s, tags := settingsOf(one.Settings)
	check(t, "name", one.Name, name)
	check(t, "unsigned", one.Unsigned, false)
	check(t, "settings.folder", s["folder"], any(folder))
	check(t, "settings.tags", tags, []string{"from-preset", "p2"})

	updated, err := cld.Admin.UpdateUploadPreset(ctxFor(t), admin.UpdateUploadPresetParams{Name: name,
		UploadParams: uploader.UploadParams{Tags: api.CldAPIArray{"updated-tag"}, Folder: folder}})
	adminOK(t, "PUT /upload_presets/<name>", err, updated.Error)
	check(t, "update message", updated.Message, "updated")
	again, err := cld.Admin.GetUploadPreset(ctxFor(t), admin.GetUploadPresetParams{Name: name})
	adminOK(t, "GET /upload_presets/<name>", err, again.Error)
	_, tags = settingsOf(again.Settings)
	check(t, "settings.tags after the update", tags, []string{"updated-tag"})

	webpPath, _ := testdata(t, "photo.webp")
	signed, err := cld.Upload.Upload(ctxFor(t), webpPath, uploader.UploadParams{UploadPreset: name, PublicID: "signed"})
	if err != nil || signed.Error.Message != "" {
		t.Fatalf("Upload with the preset: %v %q", err, signed.Error.Message)
	}
	check(t, "public_id with the preset folder", signed.PublicID, folder+"/signed")
	check(t, "tags from the preset", signed.Tags, []string{"updated-tag"})

	refused, err := cld.Upload.UnsignedUpload(ctxFor(t), webpPath, name, uploader.UploadParams{})
	if err != nil {
		t.Fatalf("UnsignedUpload: %v", err)
	}
	msg := expectAPIError(t, "an unsigned upload with a signed preset", nil, refused.Error, http.StatusBadRequest, http.StatusUnauthorized)
	if !strings.Contains(strings.ToLower(msg), "unsigned") {
		t.Errorf("error %q does not say the preset is not for unsigned uploads", msg)
	}

	u, err := cld.Admin.CreateUploadPreset(ctxFor(t), admin.CreateUploadPresetParams{Name: unsignedName, Unsigned: api.Bool(true),
		UploadParams: uploader.UploadParams{Tags: api.CldAPIArray{"unsigned-tag"}, Folder: folder + "/u"}})
	adminOK(t, "POST /upload_presets", err, u.Error)
	pngPath, _ := testdata(t, "alpha.png")
	anon, err := cld.Upload.UnsignedUpload(ctxFor(t), pngPath, unsignedName, uploader.UploadParams{PublicID: "anon"})
	if err != nil || anon.Error.Message != "" {
		t.Fatalf("UnsignedUpload: %v %q", err, anon.Error.Message)
	}
	if body := wire.last(t, http.MethodPost, "/upload").reqBody; strings.Contains(string(body), `name="signature"`) {
		t.Error("the unsigned upload carried a signature")
	}
	check(t, "unsigned public_id", anon.PublicID, folder+"/u/anon")
	check(t, "unsigned tags", anon.Tags, []string{"unsigned-tag"})
	check(t, "unsigned bytes", anon.Bytes, len(png))

	for _, n := range []string{name, unsignedName} {
		res, err := cld.Admin.DeleteUploadPreset(ctxFor(t), admin.DeleteUploadPresetParams{Name: n})
		adminOK(t, "DELETE /upload_presets/<name>", err, res.Error)
		check(t, "delete message", res.Message, "deleted")
		gone, err := cld.Admin.GetUploadPreset(ctxFor(t), admin.GetUploadPresetParams{Name: n})
		expectAPIError(t, "reading the deleted preset", err, gone.Error, http.StatusNotFound)
	}
}
