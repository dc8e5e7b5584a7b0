package httpapi

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
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
// component is transformation; without a version, leading components that parse as
// transformations are, and the rest is the public id.
func parseDeliveryPath(rest, resourceType string) (deliveryPath, error) {
	var d deliveryPath
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if m := signatureComponent.FindStringSubmatch(segs[0]); m != nil {
		d.signature, segs = m[1], segs[1:]
	}
	versioned := false
	for i, seg := range segs {
		if versionComponent.MatchString(seg) && i < len(segs)-1 {
			d.transformation, d.version, segs = segs[:i], seg[1:], segs[i+1:]
			versioned = true
			break
		}
	}
	if !versioned {
		n := 0
		for n < len(segs)-1 && isTransformationComponent(segs[n]) {
			n++
		}
		d.transformation, segs = segs[:n], segs[n:]
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
			d.publicID, d.ext = decoded[:dot], transform.NormalizeFormat(decoded[dot+1:])
		}
	}
	return d, nil
}

// isTransformationComponent says whether an unversioned path segment is a transformation
// rather than a folder of the public id.
func isTransformationComponent(seg string) bool {
	_, err := transform.Parse(seg)
	return err == nil
}

// signatureValid checks an s--…-- component: SHA-1 or SHA-256 over the transformation and the
// public id with its extension as they appear in the URL (never the version), then the secret;
// URL-safe base64, the first 8 characters (or 32 for the long SHA-256 form). The Node SDK signs
// the public id as escaped in the URL, the Go SDK as unescaped: both spellings are accepted.
func (d deliveryPath) signatureValid(secret string) bool {
	if d.signature == "" {
		return false
	}
	sources := []string{d.source}
	if decoded, err := url.PathUnescape(d.source); err == nil && decoded != d.source {
		sources = append(sources, decoded)
	}
	algos := []func() hash.Hash{sha1.New, sha256.New}
	if len(d.signature) == 32 {
		algos = algos[1:]
	}
	for _, source := range sources {
		toSign := source
		if len(d.transformation) > 0 {
			toSign = strings.Join(d.transformation, "/") + "/" + source
		}
		for _, algo := range algos {
			h := algo()
			h.Write([]byte(toSign + secret))
			sig := base64.URLEncoding.EncodeToString(h.Sum(nil))[:len(d.signature)]
			if equalConstantTime(sig, d.signature) {
				return true
			}
		}
	}
	return false
}

// deliver is GET/HEAD /:cloud/:resource_type/:type/<...>: an original, or a derived image
// generated on first request and served from the derived store after.
func (s *Server) deliver(c echo.Context) error {
	if s.serveRemembered(c) {
		return nil
	}
	rt, typ := c.Param("resource_type"), c.Param("type")
	switch rt {
	case "image", "video", "raw":
	default:
		return errorf(http.StatusNotFound, "Resource not found")
	}
	switch {
	case typ == "upload" || typ == "private" || typ == "authenticated":
	case isRemoteType(typ) && rt == "image":
	default:
		return errorf(http.StatusNotFound, "Resource not found")
	}
	escaped := c.Request().URL.EscapedPath()
	prefix := "/" + url.PathEscape(c.Param("cloud")) + "/" + rt + "/" + typ + "/"
	if !strings.HasPrefix(escaped, prefix) {
		return errorf(http.StatusNotFound, "Resource not found")
	}
	var d deliveryPath
	var err error
	if typ == "fetch" {
		d, err = parseFetchPath(escaped[len(prefix):])
	} else {
		d, err = parseDeliveryPath(escaped[len(prefix):], rt)
	}
	if err != nil {
		return err
	}
	if isRemoteType(typ) && typ != "fetch" {
		d.keepUnknownExtension()
	}
	chain, err := transform.Parse(strings.Join(d.transformation, "/"))
	if err != nil {
		return transformError(err)
	}
	ctx := c.Request().Context()
	cloud, err := s.store.CloudByName(ctx, c.Param("cloud"))
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "Resource not found")
	}
	if err != nil {
		return err
	}
	// Authenticated assets always need a signed URL; private ones for the original only.
	signed := d.signatureValid(cloud.APISecret)
	if !signed && typ == "authenticated" {
		return errSignatureRequired(typ)
	}
	a, err := s.findDelivered(c, cloud, rt, typ, &d, chain)
	if err != nil {
		return err
	}
	if !signed && typ == "private" && len(chain.Components) == 0 && (d.ext == "" || d.ext == a.Format) {
		return errSignatureRequired(typ)
	}
	if len(chain.Components) > 0 && rt != "image" {
		return badRequest("Transformations are not supported for %s resources", rt)
	}
	if rt != "image" {
		if d.ext != "" && d.ext != a.Format {
			return badRequest("Format conversion is not supported for %s resources", rt)
		}
		return s.serveOriginal(c, a, d, typ)
	}
	v, err := s.variantFor(c, cloud, a, chain, d.ext)
	if err != nil {
		return err
	}
	if v.key == "" && v.format == a.Format {
		return s.serveOriginal(c, a, d, typ)
	}
	return s.serveVariant(c, cloud, v, d, typ, signed, chain)
}

func errSignatureRequired(typ string) error {
	return errorf(http.StatusUnauthorized, "Signature required or invalid for %s resources", typ)
}

// variantFor resolves the chain for this request: named transformations expanded, f_auto and
// dpr_auto decided from the request's headers, the output format chosen.
func (s *Server) variantFor(c echo.Context, cloud store.Cloud, a store.Asset, chain transform.Chain, ext string) (variant, error) {
	expanded, err := s.expandNamed(c.Request().Context(), cloud, chain)
	if err != nil {
		return variant{}, err
	}
	h := c.Request().Header
	dpr, _ := strconv.ParseFloat(firstNonEmpty(h.Get("Sec-CH-DPR"), h.Get("DPR")), 64)
	resolved := expanded.Resolve(transform.Negotiation{
		Accept: s.acceptable(h.Get("Accept")), DPR: dpr, SourceFormat: a.Format,
		SourceAlpha: a.HasAlpha, SourceAnimated: a.Pages > 1, Ext: ext,
	})
	if expanded.Negotiated() {
		c.Response().Header().Add("Vary", "Accept")
	}
	v := variant{asset: a, chain: resolved, key: resolved.Canonical(), format: resolved.OutputFormat(ext, a.Format),
		requested: chain.Canonical()}
	if v.format != a.Format && !transform.CanWrite(v.format) {
		return variant{}, badRequest("Unsupported output format - %s", v.format)
	}
	return v, nil
}

// acceptable drops from an Accept header the formats this libvips cannot write, so f_auto
// never picks them.
func (s *Server) acceptable(accept string) string {
	if transform.CanWrite("avif") {
		return accept
	}
	return strings.ReplaceAll(accept, "image/avif", "")
}

// serveVariant delivers a derived image, generating it when it does not exist yet. Under strict
// transformations only a signed URL or a transformation allowed for strict may generate one.
func (s *Server) serveVariant(c echo.Context, cloud store.Cloud, v variant, d deliveryPath, typ string, signed bool, requested transform.Chain) error {
	ctx := c.Request().Context()
	derived, err := s.store.DerivedFile(ctx, v.asset, v.key, v.format)
	var body []byte
	switch {
	case err == nil:
	case !errors.Is(err, store.ErrNotFound):
		return err
	case cloud.StrictTransformations && !signed && !s.allowedForStrict(ctx, cloud, requested) &&
		!s.unnamedAllowedForStrict(ctx, cloud, requested):
		return errorf(http.StatusUnauthorized, "Transformation %s is not allowed", v.key)
	default:
		if derived, body, err = s.derive(ctx, cloud, v); err != nil {
			if errors.Is(err, errBusy) {
				c.Response().Header().Set("Retry-After", "1")
			}
			return err
		}
	}
	h := c.Response().Header()
	h.Set("Content-Type", transform.MIMEType(derived.Format))
	h.Set("ETag", `"`+derived.ETag+`"`)
	h.Set("Cache-Control", cacheControl(d.version, typ))
	h.Set("Access-Control-Allow-Origin", "*")
	if name, ok := attachmentName(requested, v.asset.PublicID); ok {
		h.Set("Content-Disposition", attachmentHeader(name+"."+derived.Format))
	}
	if body != nil {
		serveBytes(c, derived.CreatedAt, body)
		return nil
	}
	return s.serveStored(c, s.store.BlobPath(derived.Blob), derived.CreatedAt)
}

// allowedForStrict says whether a chain made only of named transformations that are all marked
// allowed_for_strict.
func (s *Server) allowedForStrict(ctx context.Context, cloud store.Cloud, chain transform.Chain) bool {
	if len(chain.Components) == 0 {
		return false
	}
	for _, comp := range chain.Components {
		if len(comp.Named) == 0 || !onlyNamed(comp) {
			return false
		}
		for _, name := range comp.Named {
			t, err := s.store.NamedTransformationByName(ctx, cloud.ID, name)
			if err != nil || !t.AllowedForStrict {
				return false
			}
		}
	}
	return true
}

// onlyNamed says whether a component is nothing but t_ references.
func onlyNamed(c transform.Component) bool {
	return reflect.DeepEqual(transform.Component{Named: c.Named}, c)
}

// attachmentName is the download name fl_attachment asks for: its own, or the public id's base.
func attachmentName(c transform.Chain, publicID string) (string, bool) {
	for _, comp := range c.Components {
		if comp.Flags.Attachment {
			name := comp.Flags.AttachmentName
			if name == "" {
				name = publicID[strings.LastIndexByte(publicID, '/')+1:]
			}
			return name, true
		}
	}
	return "", false
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// findDelivered looks the asset up (a remote type's is fetched from its origin on first
// request); a missing image is replaced by the chain's d_ default image when it has one.
func (s *Server) findDelivered(c echo.Context, cloud store.Cloud, rt, typ string, d *deliveryPath, chain transform.Chain) (store.Asset, error) {
	ctx := c.Request().Context()
	var a store.Asset
	var err error
	if isRemoteType(typ) {
		a, err = s.remoteAsset(ctx, cloud, typ, d.publicID)
	} else {
		a, err = s.storedAsset(ctx, cloud, rt, typ, d)
	}
	if isNotFound(err) && rt == "image" {
		if def := defaultImage(chain); def != "" {
			id := strings.TrimSuffix(def, "."+fileExt(def))
			a, err = s.store.AssetForDelivery(ctx, store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: "upload", PublicID: id})
			if err == nil {
				c.Response().Header().Set("X-Cld-Error", "Resource not found - "+d.publicID+", default image used")
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Asset{}, errorf(http.StatusNotFound, "Resource not found")
	}
	return a, err
}

// storedAsset looks an asset up by the delivery path's public id, or by the id with its
// extension when the id itself contains a dot.
func (s *Server) storedAsset(ctx context.Context, cloud store.Cloud, rt, typ string, d *deliveryPath) (store.Asset, error) {
	key := store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: d.publicID}
	a, err := s.store.AssetForDelivery(ctx, key)
	if errors.Is(err, store.ErrNotFound) && d.ext != "" {
		whole := d.publicID + "." + d.ext
		key.PublicID = whole
		if a, err = s.store.AssetForDelivery(ctx, key); err == nil {
			d.publicID, d.ext = whole, ""
		}
	}
	return a, err
}

// isNotFound says whether err means the asset does not exist: not stored, or not at its origin.
func isNotFound(err error) bool {
	var ae *apiError
	return errors.Is(err, store.ErrNotFound) || (errors.As(err, &ae) && ae.Status == http.StatusNotFound)
}

// defaultImage is the chain's d_ value ("" when none).
func defaultImage(c transform.Chain) string {
	for _, comp := range c.Components {
		if comp.Default != "" {
			return comp.Default
		}
	}
	return ""
}

// serveOriginal answers with the stored file: Content-Type, ETag, Last-Modified and
// Cache-Control, with Range and conditional requests handled by http.ServeContent (sendfile for
// the body).
func (s *Server) serveOriginal(c echo.Context, a store.Asset, d deliveryPath, typ string) error {
	h := c.Response().Header()
	format := a.Format
	if a.ResourceType == "raw" {
		format = fileExt(a.PublicID)
	}
	h.Set("Content-Type", transform.MIMEType(format))
	h.Set("ETag", `"`+a.ETag+`"`)
	h.Set("Cache-Control", cacheControl(d.version, typ))
	h.Set("Access-Control-Allow-Origin", "*")
	if a.ResourceType == "raw" && activeRawFormats[format] && h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", attachmentHeader(a.PublicID[strings.LastIndexByte(a.PublicID, '/')+1:]))
	}
	return s.serveStored(c, s.store.BlobPath(a.Blob), a.UpdatedAt)
}

// cacheControl follows Cloudinary: a versioned URL never changes (immutable), an unversioned one
// may; signed-only types are private to the client.
func cacheControl(version, typ string) string {
	scope := "public"
	if typ == "private" || typ == "authenticated" {
		scope = "private"
	}
	cc := scope + ", max-age=2592000"
	if version != "" && version != "1" {
		cc += ", immutable"
	}
	return cc
}

// errBlobGone is the answer when a file goes between the lookup of its row and its reading: the
// asset was deleted or overwritten meanwhile, so it is answered as a moment later: not found.
func errBlobGone() error { return errorf(http.StatusNotFound, "Resource not found") }
