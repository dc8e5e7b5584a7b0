package httpapi

import (
	"archive/zip"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// archiveRoutes registers the Upload API's archive generation and the signed download URLs the
// SDKs build (private_download_url, download_archive_url, download_folder).
func (s *Server) archiveRoutes(api *echo.Group) {
	api.POST("/:resource_type/generate_archive", s.generateArchive)
	api.GET("/:resource_type/generate_archive", s.downloadArchive)
	api.GET("/:resource_type/download", s.download)
}

// maxArchiveResources is how many assets one archive may hold.
const maxArchiveResources = 1000

// createdArchiveURLLife is how long the download URL of a `create` archive stays valid when
// the request names no expires_at.
const createdArchiveURLLife = 24 * time.Hour

// archiveSpec is what an archive holds and how its files are named.
type archiveSpec struct {
	resourceType  string // image, video or raw; "" for every resource type ("all")
	pathType      string // the resource type segment as requested, for URLs
	deliveryType  string
	publicIDs     []string
	prefixes      []string
	tags          []string
	qualified     []string // fully qualified public ids: <resource_type>/<type>/<public_id>
	flatten       bool
	allowMissing  bool
	originalNames bool
	targetID      string // target_public_id, "" when none was given
	expiresAt     string
}

// readArchiveSpec reads generate_archive's parameters (the same in a POST body and a signed
// download URL's query).
func readArchiveSpec(c echo.Context, p *requestParams) (archiveSpec, error) {
	spec := archiveSpec{pathType: c.Param("resource_type")}
	switch spec.pathType {
	case "image", "video", "raw":
		spec.resourceType = spec.pathType
	case "all":
	default:
		return spec, badRequest("Invalid resource type %s", spec.pathType)
	}
	var err error
	if spec.deliveryType, err = deliveryType(p, "type"); err != nil {
		return spec, err
	}
	switch f := p.get("target_format"); f {
	case "", "zip":
	default:
		return spec, badRequest("Invalid target_format - %s. Only zip archives are supported", f)
	}
	if p.get("transformations") != "" {
		return spec, badRequest("Archives of derived resources (transformations) are not supported")
	}
	spec.publicIDs, spec.prefixes, spec.tags = p.items("public_ids"), p.items("prefixes"), p.items("tags")
	spec.qualified = p.items("fully_qualified_public_ids")
	if len(spec.publicIDs)+len(spec.prefixes)+len(spec.tags)+len(spec.qualified) == 0 {
		return spec, badRequest("Must supply at least one of public_ids, prefixes, tags or fully_qualified_public_ids")
	}
	for _, b := range []struct {
		dst  *bool
		name string
	}{{&spec.flatten, "flatten_folders"}, {&spec.allowMissing, "allow_missing"}, {&spec.originalNames, "use_original_filename"}} {
		if *b.dst, err = p.boolean(b.name, false); err != nil {
			return spec, err
		}
	}
	spec.targetID = strings.TrimSuffix(p.get("target_public_id"), ".zip")
	spec.expiresAt = p.get("expires_at")
	return spec, nil
}

// isArchiveRequest says whether a download call asks for an archive rather than one asset.
func isArchiveRequest(p *requestParams) bool {
	for _, name := range []string{"public_ids", "prefixes", "tags", "fully_qualified_public_ids"} {
		if p.has(name) {
			return true
		}
	}
	return false
}

// generateArchive is POST /v1_1/:cloud/:resource_type/generate_archive. mode=download answers
// with the ZIP itself; mode=create (the default) stores nothing and answers with a signed URL
// that builds the ZIP when fetched, and what it will hold.
func (s *Server) generateArchive(c echo.Context) error {
	cloud, p, err := s.uploadRequest(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	spec, err := readArchiveSpec(c, p)
	if err != nil {
		return err
	}
	mode := p.get("mode")
	if mode != "" && mode != "create" && mode != "download" {
		return badRequest("Invalid mode - %s. Must be one of: create, download", mode)
	}
	assets, err := s.archiveAssets(c.Request().Context(), cloud, spec)
	if err != nil {
		return err
	}
	if mode == "download" {
		return s.streamArchive(c, spec, assets)
	}
	var size countingWriter
	files, err := s.writeZip(&size, spec, assets)
	if err != nil {
		return err
	}
	if spec.expiresAt == "" {
		spec.expiresAt = strconv.FormatInt(s.now().Add(createdArchiveURLLife).Unix(), 10)
	}
	publicID := spec.targetID
	if publicID == "" {
		publicID = randomID(20)
		spec.targetID = publicID
	}
	link := s.archiveDownloadURL(cloud, spec)
	return c.JSON(http.StatusOK, map[string]any{
		"url": link, "secure_url": link, "public_id": publicID + ".zip", "resource_type": "raw",
		"bytes": size.n, "file_count": files, "resource_count": len(assets),
	})
}

// archiveDownloadURL is the signed URL of a download call that builds the archive spec
// describes, in the form the SDKs' download_archive_url builds.
func (s *Server) archiveDownloadURL(cloud store.Cloud, spec archiveSpec) string {
	q := url.Values{}
	for name, values := range map[string][]string{"public_ids[]": spec.publicIDs, "prefixes[]": spec.prefixes,
		"tags[]": spec.tags, "fully_qualified_public_ids[]": spec.qualified} {
		for _, v := range values {
			q.Add(name, v)
		}
	}
	for name, on := range map[string]bool{"flatten_folders": spec.flatten, "allow_missing": spec.allowMissing,
		"use_original_filename": spec.originalNames} {
		if on {
			q.Set(name, "1")
		}
	}
	q.Set("type", spec.deliveryType)
	q.Set("mode", "download")
	q.Set("target_format", "zip")
	q.Set("target_public_id", spec.targetID)
	q.Set("expires_at", spec.expiresAt)
	q.Set("timestamp", strconv.FormatInt(s.now().Unix(), 10))
	q.Set("signature", hexDigest(sha1.New, stringToSign(q, 2), cloud.APISecret))
	q.Set("api_key", cloud.APIKey)
	return s.cfg.PublicURL + "/v1_1/" + url.PathEscape(cloud.Name) + "/" + spec.pathType + "/download?" + q.Encode()
}

// signedURLRequest reads and authenticates a GET carrying its signature in the query, as the
// SDKs' download URLs do: api_key and signature over the other parameters exactly as upload
// calls are signed; valid until expires_at when it is given, else within the timestamp window
// of upload calls.
func (s *Server) signedURLRequest(c echo.Context) (store.Cloud, *requestParams, error) {
	cloud, err := s.lookupCloud(c)
	if err != nil {
		return store.Cloud{}, nil, err
	}
	p, err := readParams(c.Request(), c.Response(), paramLimits{maxFileBytes: maxFieldBytes})
	if err != nil {
		return store.Cloud{}, nil, err
	}
	if err := checkAPIKey(p, cloud); err != nil {
		return store.Cloud{}, nil, err
	}
	if err := checkSignature(p, cloud); err != nil {
		return store.Cloud{}, nil, err
	}
	if exp := p.get("expires_at"); exp != "" {
		sec, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return store.Cloud{}, nil, badRequest("Invalid expires_at - %s", exp)
		}
		if s.now().Unix() > sec {
			return store.Cloud{}, nil, errorf(http.StatusUnauthorized, "URL expired at %s",
				time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05 -0700"))
		}
	} else if err := checkTimestamp(p, s.now()); err != nil {
		return store.Cloud{}, nil, err
	}
	return cloud, p, nil
}

// downloadArchive is GET /v1_1/:cloud/:resource_type/generate_archive, the URL the SDKs'
// download_archive_url, download_zip_url and download_folder build: the ZIP itself.
func (s *Server) downloadArchive(c echo.Context) error {
	cloud, p, err := s.signedURLRequest(c)
	if err != nil {
		return err
	}
	return s.archiveFromQuery(c, cloud, p)
}

func (s *Server) archiveFromQuery(c echo.Context, cloud store.Cloud, p *requestParams) error {
	spec, err := readArchiveSpec(c, p)
	if err != nil {
		return err
	}
	assets, err := s.archiveAssets(c.Request().Context(), cloud, spec)
	if err != nil {
		return err
	}
	return s.streamArchive(c, spec, assets)
}

// download is GET /v1_1/:cloud/:resource_type/download: with archive parameters the ZIP they
// describe, else the original of public_id (private_download_url), in `format` when it names
// another image format, as an attachment when `attachment` is set.
func (s *Server) download(c echo.Context) error {
	cloud, p, err := s.signedURLRequest(c)
	if err != nil {
		return err
	}
	if isArchiveRequest(p) {
		return s.archiveFromQuery(c, cloud, p)
	}
	rt, err := pathResourceType(c, false)
	if err != nil {
		return err
	}
	id := p.get("public_id")
	if id == "" {
		return missingParam("public_id")
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return err
	}
	attachment, err := p.boolean("attachment", false)
	if err != nil {
		return err
	}
	format := transform.NormalizeFormat(p.get("format"))
	ctx := c.Request().Context()
	key := store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: id}
	a, err := s.store.Asset(ctx, key)
	if errors.Is(err, store.ErrNotFound) && rt == "raw" && format != "" {
		key.PublicID = id + "." + format // raw public ids carry their extension
		a, err = s.store.Asset(ctx, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	if rt == "raw" || format == "" {
		format = a.Format
	}
	if attachment {
		name := a.PublicID[strings.LastIndexByte(a.PublicID, '/')+1:]
		if rt != "raw" && format != "" {
			name += "." + format
		}
		c.Response().Header().Set("Content-Disposition", attachmentHeader(name))
	}
	if format == a.Format || rt == "raw" {
		return s.serveOriginal(c, a, deliveryPath{}, typ)
	}
	if rt != "image" {
		return badRequest("Format conversion is not supported for %s resources", rt)
	}
	v, err := s.variantFor(c, cloud, a, transform.Chain{}, format)
	if err != nil {
		return err
	}
	if v.key == "" && v.format == a.Format {
		return s.serveOriginal(c, a, deliveryPath{}, typ)
	}
	return s.serveVariant(c, cloud, v, deliveryPath{}, typ, true, transform.Chain{})
}

// archiveAssets finds what an archive holds: the union of the public ids, prefixes, tags and
// fully qualified ids, each asset once, in that order. A named public id that does not exist is
// an error unless allow_missing.
func (s *Server) archiveAssets(ctx context.Context, cloud store.Cloud, spec archiveSpec) ([]store.Asset, error) {
	var out []store.Asset
	seen := map[string]bool{}
	add := func(a store.Asset) error {
		if seen[a.AssetID] {
			return nil
		}
		if len(out) == maxArchiveResources {
			return badRequest("Too many resources - an archive holds at most %d", maxArchiveResources)
		}
		seen[a.AssetID] = true
		out = append(out, a)
		return nil
	}
	base := store.ListQuery{CloudID: cloud.ID, ResourceType: spec.resourceType, Type: spec.deliveryType, Ascending: true}
	var missing []string
	for start := 0; start < len(spec.publicIDs); start += 100 {
		chunk := spec.publicIDs[start:min(start+100, len(spec.publicIDs))]
		q := base
		q.PublicIDs = chunk
		found := map[string]bool{}
		err := s.eachAsset(ctx, q, func(a store.Asset) error {
			found[a.PublicID] = true
			return add(a)
		})
		if err != nil {
			return nil, err
		}
		for _, id := range chunk {
			if !found[id] {
				missing = append(missing, id)
			}
		}
	}
	for _, prefix := range spec.prefixes {
		q := base
		q.Prefix = prefix
		if err := s.eachAsset(ctx, q, add); err != nil {
			return nil, err
		}
	}
	for _, tag := range spec.tags {
		q := base
		q.Tag = tag
		if err := s.eachAsset(ctx, q, add); err != nil {
			return nil, err
		}
	}
	for _, fq := range spec.qualified {
		parts := strings.SplitN(fq, "/", 3)
		if len(parts) != 3 {
			return nil, badRequest("Invalid fully_qualified_public_ids - %s", fq)
		}
		a, err := s.store.Asset(ctx, store.AssetKey{CloudID: cloud.ID, ResourceType: parts[0], Type: parts[1], PublicID: parts[2]})
		if errors.Is(err, store.ErrNotFound) {
			missing = append(missing, fq)
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := add(a); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 && !spec.allowMissing {
		return nil, notFound(strings.Join(missing, ", "))
	}
	if len(out) == 0 {
		return nil, errorf(http.StatusNotFound, "No resources found")
	}
	return out, nil
}

// eachAsset calls fn for every asset the query selects, page by page.
func (s *Server) eachAsset(ctx context.Context, q store.ListQuery, fn func(store.Asset) error) error {
	q.Limit = 500
	for {
		page, next, err := s.store.ListAssets(ctx, q)
		if err != nil {
			return err
		}
		for _, a := range page {
			if err := fn(a); err != nil {
				return err
			}
		}
		if next.IsZero() {
			return nil
		}
		q.After = next
	}
}

// streamArchive answers with the ZIP of the assets, written as it is built.
func (s *Server) streamArchive(c echo.Context, spec archiveSpec, assets []store.Asset) error {
	name := spec.targetID
	if name == "" {
		name = "download"
	}
	name = name[strings.LastIndexByte(name, '/')+1:]
	h := c.Response().Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", attachmentHeader(name+".zip"))
	h.Set("Cache-Control", "private, no-store")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := s.writeZip(c.Response(), spec, assets); err != nil {
		// The status is sent: the client sees a truncated archive, which it cannot open.
		slog.Warn("write archive", "cloud", c.Param("cloud"), "err", err)
	}
	return nil
}

// writeZip writes the ZIP of the assets' originals to w and says how many files it holds. Images
// and videos are stored as they are (already compressed); raw files are deflated. An asset
// deleted since it was listed is left out.
func (s *Server) writeZip(w io.Writer, spec archiveSpec, assets []store.Asset) (int, error) {
	zw := zip.NewWriter(w)
	used := map[string]bool{}
	files := 0
	for _, a := range assets {
		f, err := os.Open(s.store.BlobPath(a.Blob))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return files, err
		}
		method := zip.Store
		if a.ResourceType == "raw" {
			method = zip.Deflate
		}
		entry, err := zw.CreateHeader(&zip.FileHeader{Name: uniqueEntryName(archiveEntryName(a, spec), used),
			Method: method, Modified: a.UpdatedAt})
		if err == nil {
			_, err = io.Copy(entry, f)
		}
		f.Close()
		if err != nil {
			return files, fmt.Errorf("archive %s: %w", a.PublicID, err)
		}
		files++
	}
	return files, zw.Close()
}

// archiveEntryName names an asset's file in an archive: its public id (or original file name)
// with the format as extension, without folders when they are flattened.
func archiveEntryName(a store.Asset, spec archiveSpec) string {
	name, ext := a.PublicID, ""
	if a.ResourceType == "raw" {
		if e := fileExt(a.PublicID); e != "" {
			name, ext = strings.TrimSuffix(a.PublicID, "."+e), e
		}
	} else {
		ext = a.Format
	}
	if spec.originalNames && a.OriginalFilename != "" {
		name = joinFolder(folderOf(a.PublicID), a.OriginalFilename)
	}
	if spec.flatten {
		name = name[strings.LastIndexByte(name, '/')+1:]
	}
	if ext != "" {
		name += "." + ext
	}
	return name
}

// uniqueEntryName keeps entry names distinct (flattened folders can collide): a repeated name
// gets _2, _3... before its extension.
func uniqueEntryName(name string, used map[string]bool) string {
	candidate := name
	for n := 2; used[candidate]; n++ {
		ext := ""
		if e := fileExt(name); e != "" {
			ext = "." + e
		}
		candidate = strings.TrimSuffix(name, ext) + "_" + strconv.Itoa(n) + ext
	}
	used[candidate] = true
	return candidate
}

// countingWriter counts what is written to it and keeps nothing.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}
