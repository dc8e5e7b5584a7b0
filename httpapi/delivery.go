package httpapi

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// deliveryPath is a delivery URL after /:cloud/:resource_type/:type/, split into its parts.
type deliveryPath struct {
	signature      string   // the s--…-- component's inner characters, "" when unsigned
	transformation []string // the components before the version, as sent
	version        string   // the digits of v<digits>, "" when absent
	source         string   // the public id with its extension, as sent (percent-encoded)
	publicID       string   // decoded, without the extension for images and videos
	ext            string   // the requested extension, "" when absent
}

var (
	signatureComponent = regexp.MustCompile(`^s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--$`)
	versionComponent   = regexp.MustCompile(`^v[0-9]+$`)
)

// parseDeliveryPath splits the escaped rest of a delivery path. Everything before a version
// component is transformation; without a version the whole rest is the public id.
func parseDeliveryPath(rest, resourceType string) (deliveryPath, error) {
	var d deliveryPath
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if m := signatureComponent.FindStringSubmatch(segs[0]); m != nil {
		d.signature, segs = m[1], segs[1:]
	}
	for i, seg := range segs {
		if versionComponent.MatchString(seg) && i < len(segs)-1 {
			d.transformation, d.version, segs = segs[:i], seg[1:], segs[i+1:]
			break
		}
	}
	d.source = strings.Join(segs, "/")
	if d.source == "" {
		return d, errorf(http.StatusNotFound, "Resource not found")
	}
	decoded, err := url.PathUnescape(d.source)
	if err != nil {
		return d, badRequest("Invalid public id encoding")
	}
	d.publicID = decoded
	if resourceType != "raw" {
		if dot := strings.LastIndexByte(decoded, '.'); dot > strings.LastIndexByte(decoded, '/') {
			d.publicID, d.ext = decoded[:dot], normalFormat(decoded[dot+1:])
		}
	}
	return d, nil
}

// signatureValid checks an s--…-- component: SHA-1 or SHA-256 over the transformation and the
// public id with its extension as they appear in the URL (never the version), then the secret;
// URL-safe base64, the first 8 characters (or 32 for the long SHA-256 form).
func (d deliveryPath) signatureValid(secret string) bool {
	if d.signature == "" {
		return false
	}
	toSign := d.source
	if len(d.transformation) > 0 {
		toSign = strings.Join(d.transformation, "/") + "/" + d.source
	}
	algos := []func() hash.Hash{sha1.New, sha256.New}
	if len(d.signature) == 32 {
		algos = algos[1:]
	}
	for _, algo := range algos {
		h := algo()
		h.Write([]byte(toSign + secret))
		sig := base64.URLEncoding.EncodeToString(h.Sum(nil))[:len(d.signature)]
		if equalConstantTime(sig, d.signature) {
			return true
		}
	}
	return false
}

// deliver is GET/HEAD /:cloud/:resource_type/:type/<...>: an asset's stored bytes.
func (s *Server) deliver(c echo.Context) error {
	rt, typ := c.Param("resource_type"), c.Param("type")
	switch rt {
	case "image", "video", "raw":
	default:
		return errorf(http.StatusNotFound, "Resource not found")
	}
	switch typ {
	case "upload", "private", "authenticated":
	default:
		return errorf(http.StatusNotFound, "Resource not found")
	}
	escaped := c.Request().URL.EscapedPath()
	prefix := "/" + url.PathEscape(c.Param("cloud")) + "/" + rt + "/" + typ + "/"
	if !strings.HasPrefix(escaped, prefix) {
		return errorf(http.StatusNotFound, "Resource not found")
	}
	d, err := parseDeliveryPath(escaped[len(prefix):], rt)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cloud, err := s.store.CloudByName(ctx, c.Param("cloud"))
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "Resource not found")
	}
	if err != nil {
		return err
	}
	if typ != "upload" && !d.signatureValid(cloud.APISecret) {
		return errorf(http.StatusUnauthorized, "Signature required or invalid for %s resources", typ)
	}
	if len(d.transformation) > 0 {
		return badRequest("Transformations are not supported yet: %s", strings.Join(d.transformation, "/"))
	}
	a, err := s.findDelivered(c, cloud, rt, typ, &d)
	if err != nil {
		return err
	}
	if d.ext != "" && d.ext != a.Format {
		return badRequest("Format conversion on delivery is not supported yet: %s to %s", a.Format, d.ext)
	}
	return s.serveBlob(c, a, d, typ)
}

// findDelivered looks the asset up; an image id that itself contains a dot is found by its
// whole name when splitting off an extension found nothing.
func (s *Server) findDelivered(c echo.Context, cloud store.Cloud, rt, typ string, d *deliveryPath) (store.Asset, error) {
	key := store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: d.publicID}
	a, err := s.store.Asset(c.Request().Context(), key)
	if errors.Is(err, store.ErrNotFound) && d.ext != "" {
		whole := d.publicID + "." + d.ext
		key.PublicID = whole
		if a, err = s.store.Asset(c.Request().Context(), key); err == nil {
			d.publicID, d.ext = whole, ""
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Asset{}, errorf(http.StatusNotFound, "Resource not found")
	}
	return a, err
}

// serveBlob answers with the stored file: Content-Type, ETag, Last-Modified and Cache-Control,
// with Range and conditional requests handled by http.ServeContent (sendfile for the body).
func (s *Server) serveBlob(c echo.Context, a store.Asset, d deliveryPath, typ string) error {
	f, err := os.Open(s.store.BlobPath(a.Blob))
	if err != nil {
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	format := a.Format
	if a.ResourceType == "raw" {
		format = fileExt(a.PublicID)
	}
	h.Set("Content-Type", transform.MIMEType(format))
	h.Set("ETag", `"`+a.ETag+`"`)
	h.Set("Cache-Control", cacheControl(d.version, typ))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", a.UpdatedAt, f)
	return nil
}

// cacheControl follows Cloudinary: a versioned URL never changes (immutable), an unversioned one
// may; signed-only types are private to the client.
func cacheControl(version, typ string) string {
	scope := "public"
	if typ != "upload" {
		scope = "private"
	}
	cc := scope + ", max-age=2592000"
	if version != "" && version != "1" {
		cc += ", immutable"
	}
	return cc
}
