package gosdk

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

// Transformations through cloudinary-go: the SDK has no transformation builder (an asset's
// Transformation is a raw string), so the URLs here are what a Go user builds with
// cld.Image(id) + img.Transformation, next to the same transformation typed by hand in another
// order; both must meet in one derived file.

const webpAccept = "image/webp,*/*"

var contentTypes = map[string]string{"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

// upright is photo.jpg's size as derived images see it: the file is stored 640x427 with EXIF
// Orientation 6, and transformations apply the orientation (unless a_ignore), giving 427x640.
func upright(t *testing.T, photo []byte) dimensions {
	t.Helper()
	stored, err := jpegSize(photo)
	if err != nil {
		t.Fatal(err)
	}
	return dimensions{stored.height, stored.width}
}

// ratio scales a width of the upright photo to the height that keeps its aspect ratio.
func ratio(up dimensions, width int) int {
	return int(float64(width)*float64(up.height)/float64(up.width) + 0.5)
}

type transformCase struct {
	name        string
	sdk         string // img.Transformation as a Go user writes it
	hand        string // the hand-typed equivalent, parameters reordered where possible
	handVersion string // version segment of the hand-typed URL when it cannot be reordered ("v1")
	accept      string
	ext         string // extension in the URL when it is not the delivered format (f_auto)
	format      string
	size        dimensions
	tol         int            // rounding allowance in pixels (fractional scales)
	derived     *regexp.Regexp // accepted spellings of the derived entry's transformation; nil: sdk exactly
}

func transformCases(up dimensions) []transformCase {
	return []transformCase{
		{name: "fill 100x80", sdk: "c_fill,h_80,w_100", hand: "w_100,c_fill,h_80", format: "jpg", size: dimensions{100, 80}},
		{name: "scale to half the width", sdk: "c_scale,w_0.5", hand: "w_0.5,c_scale", format: "jpg",
			size: dimensions{(up.width + 1) / 2, (up.height + 1) / 2}, tol: 1},
		{name: "thumb 60x60 with g_auto", sdk: "c_thumb,g_auto,h_60,w_60", hand: "g_auto,w_60,c_thumb,h_60", format: "jpg", size: dimensions{60, 60}},
		{name: "sepia then r_max as PNG", sdk: "e_sepia/r_max", hand: "e_sepia/r_max", handVersion: "v1", format: "png", size: up},
		{name: "rotate 90", sdk: "a_90", hand: "a_90", handVersion: "v1", format: "jpg", size: dimensions{up.height, up.width}},
		{name: "dpr 2.0 (typed dpr_2 by hand)", sdk: "dpr_2.0,w_50", hand: "w_50,dpr_2", format: "jpg",
			size: dimensions{100, ratio(up, 100)}, tol: 1, derived: regexp.MustCompile(`^(dpr_2(\.0)?,w_50|w_50,dpr_2(\.0)?)$`)},
		{name: "q_auto and f_auto with Accept webp", sdk: "f_auto,q_auto", hand: "q_auto,f_auto", accept: webpAccept, ext: "jpg", format: "webp", size: up,
			derived: regexp.MustCompile(`^(f_auto,q_auto|q_auto,f_auto|f_webp,(fl_awebp,)?q_auto)(/webp)?$`)},
		{name: "border 5px red on green", sdk: "b_rgb:00ff00,bo_5px_solid_rgb:ff0000", hand: "bo_5px_solid_rgb:ff0000,b_rgb:00ff00", format: "jpg",
			size: dimensions{up.width + 10, up.height + 10}}, // the border is drawn around the image
	}
}

func near(got, want dimensions, tol int) bool {
	abs := func(n int) int { return max(n, -n) }
	return abs(got.width-want.width) <= tol && abs(got.height-want.height) <= tol
}

// getImage GETs a delivery URL that must answer 200 with a JPEG, PNG or WebP.
func getImage(t *testing.T, url, accept string) (http.Header, []byte, string, dimensions) {
	t.Helper()
	var h http.Header
	if accept != "" {
		h = http.Header{"Accept": {accept}}
	}
	status, header, body := fetchWith(t, url, h)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d (X-Cld-Error: %q)", url, status, header.Get("X-Cld-Error"))
	}
	format, size, err := imageInfo(body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return header, body, format, size
}

func expect401(t *testing.T, url, why string) {
	t.Helper()
	status, header, _ := fetch(t, url)
	if status != http.StatusUnauthorized {
		t.Errorf("%s: GET %s answered %d, want 401", why, url, status)
	} else if header.Get("X-Cld-Error") == "" {
		t.Errorf("%s: the 401 for %s carries no X-Cld-Error header", why, url)
	}
}

func uploadPhoto(t *testing.T, cld *cloudinary.Cloudinary, params uploader.UploadParams) *uploader.UploadResult {
	t.Helper()
	photoPath, photo := testdata(t, "photo.jpg")
	res, err := cld.Upload.Upload(ctxFor(t), photoPath, params)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if res.Error.Message != "" {
		t.Fatalf("Upload: error %q", res.Error.Message)
	}
	check(t, "public_id", res.PublicID, params.PublicID)
	check(t, "bytes", res.Bytes, len(photo))
	return res
}

// TestTransformedDelivery builds each transformation with the SDK, checks the delivered image,
// checks that a reordered hand-typed URL delivers the same bytes, then counts derived entries.
func TestTransformedDelivery(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	up := upright(t, photo)
	const pid = "compat/pic"
	res := uploadPhoto(t, cld, uploader.UploadParams{PublicID: pid})
	version := "v" + strconv.Itoa(res.Version)
	cases := transformCases(up)
	delivered := map[string]string{} // case name → md5 of the delivered bytes
	var failed []string

	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			diagnoseOnFailure(t)
			ext := c.ext
			if ext == "" {
				ext = c.format
			}
			img, err := cld.Image(pid + "." + ext)
			if err != nil {
				t.Fatal(err)
			}
			img.Version = res.Version
			img.Transformation = c.sdk
			url, err := img.String()
			if err != nil {
				t.Fatal(err)
			}
			path := "/" + cloudName + "/image/upload/" + c.sdk + "/" + version + "/" + pid + "." + ext
			if !strings.HasPrefix(url, srv.base+path+"?_a=") {
				t.Fatalf("SDK URL %s, want %s%s?_a=...", url, srv.base, path)
			}
			header, body, format, size := getImage(t, url, c.accept)
			check(t, "format of "+url, format, c.format)
			if !near(size, c.size, c.tol) {
				t.Errorf("%s: %dx%d, want %dx%d (±%d)", url, size.width, size.height, c.size.width, c.size.height, c.tol)
			}
			if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, contentTypes[c.format]) {
				t.Errorf("Content-Type = %q, want %s", ct, contentTypes[c.format])
			}
			check(t, "ETag (MD5 of the delivered bytes)", header.Get("ETag"), `"`+md5Hex(body)+`"`)

			hv := c.handVersion
			if hv == "" {
				hv = version
			}
			hand := srv.base + "/" + cloudName + "/image/upload/" + c.hand + "/" + hv + "/" + pid + "." + ext
			handHeader, handBody, _, _ := getImage(t, hand, c.accept)
			check(t, "ETag of "+hand, handHeader.Get("ETag"), header.Get("ETag"))
			if md5Hex(handBody) != md5Hex(body) {
				t.Errorf("%s delivers other bytes than %s", hand, url)
			}
			delivered[c.name] = md5Hex(body)
		})
		if !ok {
			failed = append(failed, c.name)
		}
	}

	t.Run("derived list", func(t *testing.T) {
		if len(failed) > 0 {
			t.Fatalf("not checked: the derived list depends on every case, and these failed: %q", failed)
		}
		diagnoseOnFailure(t)
		info := details(t, cld, admin.AssetParams{PublicID: pid, MaxResults: 50})
		if len(info.Derived) != len(cases) {
			t.Fatalf("derived has %d entries, want %d: %v", len(info.Derived), len(cases), info.Derived)
		}
		ids := map[string]bool{}
		byMD5 := map[string][]map[string]any{}
		for _, raw := range info.Derived {
			d, _ := raw.(map[string]any)
			id, _ := d["id"].(string)
			tx, _ := d["transformation"].(string)
			format, _ := d["format"].(string)
			url, _ := d["url"].(string)
			bytes, _ := d["bytes"].(float64)
			if !hex32.MatchString(id) || tx == "" || format == "" || url == "" {
				t.Fatalf("derived entry %v: want a 32-hex id, transformation, format and url", d)
			}
			ids[id] = true
			// the webp Accept keeps an f_auto entry on its own (webp) variant; the rest ignore it
			_, body, got, _ := getImage(t, url, webpAccept)
			check(t, "format delivered by "+url, got, format)
			check(t, "length of "+url, len(body), int(bytes))
			byMD5[md5Hex(body)] = append(byMD5[md5Hex(body)], d)
		}
		check(t, "distinct derived ids", len(ids), len(info.Derived))
		for _, c := range cases {
			matches := byMD5[delivered[c.name]]
			if len(matches) != 1 {
				t.Errorf("%s: %d derived entries deliver its bytes, want 1", c.name, len(matches))
				continue
			}
			check(t, c.name+": derived format", matches[0]["format"], any(c.format))
			tx, _ := matches[0]["transformation"].(string)
			if (c.derived == nil && tx != c.sdk) || (c.derived != nil && !c.derived.MatchString(tx)) {
				t.Errorf("%s: derived transformation %q, want %q", c.name, tx, c.sdk)
			}
		}
		if again := details(t, cld, admin.AssetParams{PublicID: pid, MaxResults: 50}); len(again.Derived) != len(cases) {
			t.Errorf("fetching the derived urls changed the derived count to %d", len(again.Derived))
		}
	})
}

// TestSignedDelivery: an authenticated asset is only delivered through SDK-signed URLs.
func TestSignedDelivery(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	const pid = "compat/secret"
	res := uploadPhoto(t, cld, uploader.UploadParams{PublicID: pid, Type: api.Authenticated})
	check(t, "type", res.Type, "authenticated")

	signedURL := func(transformation string) string {
		img, err := cld.Image(pid + ".jpg")
		if err != nil {
			t.Fatal(err)
		}
		img.DeliveryType = api.Authenticated
		img.Config.URL.SignURL = true
		img.Version = res.Version
		img.Transformation = transformation
		url, err := img.String()
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	sigComponent := regexp.MustCompile(`/s--[A-Za-z0-9_-]{8}--`)

	url := signedURL("c_fill,h_80,w_100")
	if !regexp.MustCompile(`/image/authenticated/s--[A-Za-z0-9_-]{8}--/c_fill,h_80,w_100/v\d+/compat/secret\.jpg`).MatchString(url) {
		t.Fatalf("SDK URL %s has no signature component where expected", url)
	}
	_, _, format, size := getImage(t, url, "")
	check(t, "format", format, "jpg")
	check(t, "size of "+url, size, dimensions{100, 80})
	expect401(t, sigComponent.ReplaceAllString(url, ""), "signature removed")
	expect401(t, strings.Replace(url, "c_fill,h_80,w_100", "c_fill,h_80,w_101", 1), "transformation changed after signing")

	original := signedURL("")
	if !sigComponent.MatchString(original) {
		t.Fatalf("SDK URL %s has no signature component", original)
	}
	status, header, body := fetch(t, original)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d (X-Cld-Error: %q)", original, status, header.Get("X-Cld-Error"))
	}
	check(t, "md5 of the signed original", md5Hex(body), md5Hex(photo))
	expect401(t, sigComponent.ReplaceAllString(original, ""), "original without signature")
}

// TestEagerUpload: UploadParams.Eager (a string, "|" between transformations) creates variants
// reported in the response's eager list; each one's url delivers it.
func TestEagerUpload(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	_, photo := testdata(t, "photo.jpg")
	up := upright(t, photo)
	const pid = "compat/eager"
	res := uploadPhoto(t, cld, uploader.UploadParams{PublicID: pid, Eager: "c_fill,h_40,w_40|w_20/png"})
	if !strings.Contains(string(wire.last(t, http.MethodPost, "/auto/upload").reqBody), "name=\"eager\"\r\n\r\nc_fill,h_40,w_40|w_20/png\r\n") {
		t.Errorf("the SDK did not send the eager string as given")
	}
	if len(res.Eager) != 2 {
		t.Fatalf("eager has %d items, want 2: %+v", len(res.Eager), res.Eager)
	}
	// Whether Cloudinary echoes the eager format as a "/png" suffix is unverified: accept both.
	want := []struct {
		transformation *regexp.Regexp
		format         string
		size           dimensions
		tol            int
	}{
		{regexp.MustCompile(`^c_fill,h_40,w_40$`), "jpg", dimensions{40, 40}, 0},
		{regexp.MustCompile(`^w_20(/png)?$`), "png", dimensions{20, ratio(up, 20)}, 1},
	}
	for i, w := range want {
		e := res.Eager[i]
		if !w.transformation.MatchString(e.Transformation) {
			t.Errorf("eager[%d].transformation = %q, want %v", i, e.Transformation, w.transformation)
		}
		check(t, fmt.Sprintf("eager[%d].format", i), e.Format, w.format)
		if !near(dimensions{e.Width, e.Height}, w.size, w.tol) {
			t.Errorf("eager[%d] reports %dx%d, want %dx%d (±%d)", i, e.Width, e.Height, w.size.width, w.size.height, w.tol)
		}
		if e.URL == "" {
			t.Fatalf("eager[%d] has no url", i)
		}
		_, body, format, size := getImage(t, e.URL, "")
		check(t, "format of "+e.URL, format, w.format)
		check(t, "size of "+e.URL, size, dimensions{e.Width, e.Height})
		check(t, "length of "+e.URL, len(body), e.Bytes)
	}
	if n := len(details(t, cld, admin.AssetParams{PublicID: pid}).Derived); n != 2 {
		t.Errorf("details list %d derived files, want the 2 eager variants", n)
	}
}

// TestNamedTransformation creates a named transformation with the Admin API and delivers t_<name>.
func TestNamedTransformation(t *testing.T) {
	diagnoseOnFailure(t)
	cld := newSDK(t, apiSecret, nil)
	const pid, name = "compat/named", "compat_square"
	created, err := cld.Admin.CreateTransformation(ctxFor(t), admin.CreateTransformationParams{Name: name, Transformation: "c_fill,h_30,w_30"})
	if err != nil {
		t.Fatalf("CreateTransformation: %v", err)
	}
	if created.Error.Message != "" {
		t.Fatalf("CreateTransformation: error %q", created.Error.Message)
	}
	check(t, "message", created.Message, "created")

	res := uploadPhoto(t, cld, uploader.UploadParams{PublicID: pid})
	img, err := cld.Image(pid + ".jpg")
	if err != nil {
		t.Fatal(err)
	}
	img.Version = res.Version
	img.Transformation = "t_" + name
	url, err := img.String()
	if err != nil {
		t.Fatal(err)
	}
	_, _, format, size := getImage(t, url, "")
	check(t, "format", format, "jpg")
	check(t, "size of "+url, size, dimensions{30, 30})
}
