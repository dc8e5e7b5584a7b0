package gosdk

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudinary/cloudinary-go/v2/config"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func runID(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// details reads an asset through the Admin API and fails the test on any error.
func details(t *testing.T, cld *cloudinary.Cloudinary, params admin.AssetParams) *admin.AssetResult {
	t.Helper()
	res, err := cld.Admin.Asset(ctxFor(t), params)
	if err != nil {
		t.Fatalf("Admin.Asset(%q): %v", params.PublicID, err)
	}
	if res.Error.Message != "" {
		t.Fatalf("Admin.Asset(%q): error %q", params.PublicID, res.Error.Message)
	}
	return res
}

// expectAdmin404 checks that details of publicID fail: the SDK reports the error message and the
// wire shows 404 (cloudinary-go does not expose the status itself).
func expectAdmin404(t *testing.T, cld *cloudinary.Cloudinary, params admin.AssetParams) {
	t.Helper()
	res, err := cld.Admin.Asset(ctxFor(t), params)
	if err != nil {
		t.Fatalf("Admin.Asset(%q): %v", params.PublicID, err)
	}
	if res.Error.Message == "" || res.PublicID != "" {
		t.Fatalf("Admin.Asset(%q) after removal: want an error, got public_id %q, error %q", params.PublicID, res.PublicID, res.Error.Message)
	}
	if ex := wire.last(t, http.MethodGet, "/"+params.PublicID); ex.status != http.StatusNotFound {
		t.Fatalf("Admin.Asset(%q): HTTP %d, want 404", params.PublicID, ex.status)
	}
}

// TestAssetLifecycle follows one image through the Upload and Admin APIs and delivery.
func TestAssetLifecycle(t *testing.T) {
	cld := newSDK(t, apiSecret, nil)
	photoPath, photo := testdata(t, "photo.jpg")
	run := runID(t)
	const folder = "compat/go"
	id := "photo-" + run
	pid := folder + "/" + id
	renamed := folder + "/renamed-" + run
	tags := []string{"compat", "go-sdk"}
	// cloudinary-go does not escape '=' or '|' inside context values (CldAPIMap); a value with '='
	// must still arrive whole, split only at the first '='.
	ctxValues := map[string]string{"caption": "sunset=warm", "alt": "A test photo"}

	var up *uploader.UploadResult
	var moved *admin.AssetResult

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"upload", func(t *testing.T) {
			res, err := cld.Upload.Upload(ctxFor(t), photoPath, uploader.UploadParams{
				PublicID: id, Folder: folder, Tags: tags, Context: ctxValues,
			})
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if res.Error.Message != "" {
				t.Fatalf("Upload: error %q", res.Error.Message)
			}
			if ex := wire.last(t, http.MethodPost, "/"+cloudName+"/auto/upload"); ex.status != http.StatusOK {
				t.Fatalf("POST /auto/upload: HTTP %d", ex.status)
			}
			size, err := jpegSize(photo)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "public_id", res.PublicID, pid)
			check(t, "resource_type", res.ResourceType, "image")
			check(t, "type", res.Type, "upload")
			if res.Version <= 0 {
				t.Errorf("version = %d, want > 0", res.Version)
			}
			// photo.jpg carries EXIF Orientation 6: accept the stored or the EXIF-rotated dimensions.
			got := dimensions{res.Width, res.Height}
			if got != size && got != (dimensions{size.height, size.width}) {
				t.Errorf("width x height = %dx%d, want %dx%d (or rotated)", res.Width, res.Height, size.width, size.height)
			}
			check(t, "format", res.Format, "jpg")
			check(t, "bytes", res.Bytes, len(photo))
			check(t, "etag", res.Etag, md5Hex(photo))
			if !hex32.MatchString(res.AssetID) {
				t.Errorf("asset_id = %q, want 32 hex digits", res.AssetID)
			}
			check(t, "tags", sorted(res.Tags), sorted(tags))
			custom, _ := res.Context["custom"].(map[string]interface{})
			want := map[string]interface{}{}
			for k, v := range ctxValues {
				want[k] = v
			}
			check(t, "context.custom", custom, want)
			sum := sha1.Sum([]byte("public_id=" + res.PublicID + "&version=" + strconv.Itoa(res.Version) + apiSecret))
			check(t, "signature", res.Signature, hex.EncodeToString(sum[:]))
			if !cld.Upload.VerifyApiResponseSignature(res.PublicID, strconv.Itoa(res.Version), res.Signature) {
				t.Errorf("the SDK's VerifyApiResponseSignature rejects signature %q", res.Signature)
			}
			if res.CreatedAt.IsZero() || time.Since(res.CreatedAt) > time.Hour || time.Until(res.CreatedAt) > time.Hour {
				t.Errorf("created_at = %v, want about now", res.CreatedAt)
			}
			check(t, "url", res.URL, srv.base+"/"+cloudName+"/image/upload/v"+strconv.Itoa(res.Version)+"/"+pid+".jpg")
			up = res
		}},
		{"details", func(t *testing.T) {
			res := details(t, cld, admin.AssetParams{PublicID: pid})
			check(t, "public_id", res.PublicID, pid)
			check(t, "asset_id", res.AssetID, up.AssetID)
			check(t, "version", res.Version, up.Version)
			check(t, "format", res.Format, "jpg")
			check(t, "bytes", res.Bytes, len(photo))
			check(t, "etag", res.Etag, md5Hex(photo))
			check(t, "width", res.Width, up.Width)
			check(t, "height", res.Height, up.Height)
			check(t, "tags", sorted(res.Tags), sorted(tags))
			check(t, "context.custom", res.Context.Custom, ctxValues)
			check(t, "url", res.URL, up.URL)

			// cloudinary-go does not surface the rate-limit headers; check them on the wire.
			ex := wire.last(t, http.MethodGet, "/resources/image/upload/"+pid)
			limit, err1 := strconv.Atoi(ex.respHeader.Get("X-FeatureRateLimit-Limit"))
			remaining, err2 := strconv.Atoi(ex.respHeader.Get("X-FeatureRateLimit-Remaining"))
			reset, err3 := http.ParseTime(ex.respHeader.Get("X-FeatureRateLimit-Reset"))
			if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || remaining < 0 || remaining > limit {
				t.Errorf("rate-limit headers: Limit %q, Remaining %q, Reset %q (want ints, 0 <= remaining <= limit > 0, an HTTP date)",
					ex.respHeader.Get("X-FeatureRateLimit-Limit"), ex.respHeader.Get("X-FeatureRateLimit-Remaining"),
					ex.respHeader.Get("X-FeatureRateLimit-Reset"))
			} else if d := time.Until(reset); d < -5*time.Second || d > 25*time.Hour {
				t.Errorf("X-FeatureRateLimit-Reset %v is not in the near future", reset)
			}
		}},
		{"delivery", func(t *testing.T) {
			img, err := cld.Image(pid + ".jpg")
			if err != nil {
				t.Fatal(err)
			}
			img.Version = up.Version
			url, err := img.String()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(url, up.URL+"?_a=") {
				t.Errorf("SDK URL %s, want the upload's url %s plus the SDK's ?_a= parameter", url, up.URL)
			}
			status, header, body := fetch(t, url)
			check(t, "status", status, http.StatusOK)
			check(t, "md5 of delivered bytes", md5Hex(body), md5Hex(photo))
			if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "image/jpeg") {
				t.Errorf("Content-Type = %q, want image/jpeg", ct)
			}
			check(t, "ETag", header.Get("ETag"), `"`+md5Hex(photo)+`"`)
		}},
		{"rename", func(t *testing.T) {
			res, err := cld.Upload.Rename(ctxFor(t), uploader.RenameParams{FromPublicID: pid, ToPublicID: renamed})
			if err != nil {
				t.Fatalf("Rename: %v", err)
			}
			if res.Error != nil {
				t.Fatalf("Rename: error %v", res.Error)
			}
			check(t, "public_id", res.PublicID, renamed)
			check(t, "asset_id", res.AssetID, up.AssetID)
			check(t, "bytes", res.Bytes, len(photo))
			expectAdmin404(t, cld, admin.AssetParams{PublicID: pid})
			moved = details(t, cld, admin.AssetParams{PublicID: renamed})
			check(t, "etag after rename", moved.Etag, md5Hex(photo))
			old, _ := cld.Image(pid + ".jpg")
			old.Version = up.Version
			oldURL, _ := old.String()
			status, _, _ := fetch(t, oldURL)
			check(t, "status of the old delivery URL", status, http.StatusNotFound)
		}},
		{"add tag", func(t *testing.T) {
			res, err := cld.Upload.AddTag(ctxFor(t), uploader.AddTagParams{Tag: "added-later", PublicIDs: []string{renamed}})
			if err != nil {
				t.Fatalf("AddTag: %v", err)
			}
			if res.Error.Message != "" {
				t.Fatalf("AddTag: error %q", res.Error.Message)
			}
			check(t, "public_ids", res.PublicIDs, []string{renamed})
			check(t, "tags", sorted(details(t, cld, admin.AssetParams{PublicID: renamed}).Tags), sorted(append(slices.Clone(tags), "added-later")))
		}},
		{"add context", func(t *testing.T) {
			change := api.CldAPIMap{"alt": "alt=changed", "credit": "Go SDK"}
			res, err := cld.Upload.AddContext(ctxFor(t), uploader.AddContextParams{Context: change, PublicIDs: api.CldAPIArray{renamed}})
			if err != nil {
				t.Fatalf("AddContext: %v", err)
			}
			if res.Error.Message != "" {
				t.Fatalf("AddContext: error %q", res.Error.Message)
			}
			check(t, "public_ids", res.PublicIDs, []string{renamed})
			want := map[string]string{"caption": ctxValues["caption"], "alt": "alt=changed", "credit": "Go SDK"}
			check(t, "context.custom (add merges keys)", details(t, cld, admin.AssetParams{PublicID: renamed}).Context.Custom, want)
		}},
		{"delivery after rename", func(t *testing.T) {
			img, _ := cld.Image(renamed + ".jpg")
			img.Version = moved.Version
			url, err := img.String()
			if err != nil {
				t.Fatal(err)
			}
			status, header, body := fetch(t, url)
			check(t, "status", status, http.StatusOK)
			check(t, "md5 of delivered bytes", md5Hex(body), md5Hex(photo))
			if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "image/jpeg") {
				t.Errorf("Content-Type = %q, want image/jpeg", ct)
			}
		}},
		{"destroy", func(t *testing.T) {
			res, err := cld.Upload.Destroy(ctxFor(t), uploader.DestroyParams{PublicID: renamed})
			if err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			check(t, "result", res.Result, "ok")
			expectAdmin404(t, cld, admin.AssetParams{PublicID: renamed})
			img, _ := cld.Image(renamed + ".jpg")
			img.Version = moved.Version
			url, _ := img.String()
			status, _, _ := fetch(t, url)
			check(t, "delivery status after destroy", status, http.StatusNotFound)
			again, err := cld.Upload.Destroy(ctxFor(t), uploader.DestroyParams{PublicID: renamed})
			if err != nil {
				t.Fatalf("second Destroy: %v", err)
			}
			check(t, "second destroy result", again.Result, "not found")
		}},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			diagnoseOnFailure(t)
			s.run(t)
		})
		if !ok {
			t.Fatalf("step %q failed; the later steps depend on it", s.name)
		}
	}
}

// TestRawFile uploads a text file as a raw asset and reads it back byte for byte.
func TestRawFile(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	notePath, note := testdata(t, "note.txt")
	rawID := "compat/go/note-" + runID(t) + ".txt"

	res, err := cld.Upload.Upload(ctxFor(t), notePath, uploader.UploadParams{PublicID: rawID, ResourceType: api.File})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if res.Error.Message != "" {
		t.Fatalf("Upload: error %q", res.Error.Message)
	}
	check(t, "public_id", res.PublicID, rawID)
	check(t, "resource_type", res.ResourceType, "raw")
	check(t, "bytes", res.Bytes, len(note))
	check(t, "etag", res.Etag, md5Hex(note))
	check(t, "url", res.URL, srv.base+"/"+cloudName+"/raw/upload/v"+strconv.Itoa(res.Version)+"/"+rawID)

	file, err := cld.File(rawID)
	if err != nil {
		t.Fatal(err)
	}
	file.Version = res.Version
	url, err := file.String()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, res.URL) {
		t.Errorf("SDK URL %s does not extend the upload's url %s", url, res.URL)
	}
	status, _, body := fetch(t, url)
	check(t, "status", status, http.StatusOK)
	if string(body) != string(note) {
		t.Errorf("delivered raw bytes differ from the upload (md5 %s, want %s)", md5Hex(body), md5Hex(note))
	}

	info := details(t, cld, admin.AssetParams{AssetType: api.File, PublicID: rawID})
	check(t, "details bytes", info.Bytes, len(note))
	gone, err := cld.Upload.Destroy(ctxFor(t), uploader.DestroyParams{PublicID: rawID, ResourceType: api.File})
	if err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	check(t, "destroy result", gone.Result, "ok")
	expectAdmin404(t, cld, admin.AssetParams{AssetType: api.File, PublicID: rawID})
}

var signatureField = regexp.MustCompile(`name="signature"\r\n\r\n([0-9a-f]*)\r\n`)

// TestSHA256Signature uploads with a client configured for SHA-256 request signatures.
func TestSHA256Signature(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, func(c *config.Configuration) { c.Cloud.SignatureAlgorithm = "sha256" })
	pngPath, png := testdata(t, "alpha.png")
	pid := "compat/go/alpha-" + runID(t)

	res, err := cld.Upload.Upload(ctxFor(t), pngPath, uploader.UploadParams{PublicID: pid})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if m := signatureField.FindSubmatch(wire.last(t, http.MethodPost, "/auto/upload").reqBody); m == nil || len(m[1]) != 64 {
		t.Fatalf("the SDK did not send a 64-hex SHA-256 signature (found %q)", m)
	}
	if res.Error.Message != "" {
		t.Fatalf("Upload: error %q", res.Error.Message)
	}
	size, err := pngSize(png)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "public_id", res.PublicID, pid)
	check(t, "format", res.Format, "png")
	check(t, "width", res.Width, size.width)
	check(t, "height", res.Height, size.height)
	check(t, "bytes", res.Bytes, len(png))
	check(t, "etag", res.Etag, md5Hex(png))

	gone, err := cld.Upload.Destroy(ctxFor(t), uploader.DestroyParams{PublicID: pid})
	if err != nil {
		t.Fatalf("Destroy (SHA-256 signed): %v", err)
	}
	check(t, "destroy result", gone.Result, "ok")
}

// TestWrongSecret checks that a client with a wrong api_secret is refused by both APIs.
func TestWrongSecret(t *testing.T) {
	diagnoseOnFailure(t)
	forged := newSDK(t, "not-the-secret", nil)
	photoPath, _ := testdata(t, "photo.jpg")
	pid := "compat/go/forged-" + runID(t)

	res, err := forged.Upload.Upload(ctxFor(t), photoPath, uploader.UploadParams{PublicID: pid})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	check(t, "upload HTTP status", wire.last(t, http.MethodPost, "/auto/upload").status, http.StatusUnauthorized)
	if !strings.HasPrefix(res.Error.Message, "Invalid Signature ") {
		t.Errorf("error message %q, want it to start with %q", res.Error.Message, "Invalid Signature ")
	}
	if res.PublicID != "" {
		t.Errorf("a refused upload returned public_id %q", res.PublicID)
	}

	adm, err := forged.Admin.Asset(ctxFor(t), admin.AssetParams{PublicID: pid})
	if err != nil {
		t.Fatalf("Admin.Asset: %v", err)
	}
	check(t, "admin HTTP status", wire.last(t, http.MethodGet, "/"+pid).status, http.StatusUnauthorized)
	if adm.Error.Message == "" {
		t.Error("the SDK reports no error for a 401 Admin response")
	}

	expectAdmin404(t, newSDK(t, apiSecret, nil), admin.AssetParams{PublicID: pid})
}

func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
