package httpapi

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// uploadRequest reads and authenticates an Upload API call. On success the caller owns the
// params and must call cleanup.
func (s *Server) uploadRequest(c echo.Context) (store.Cloud, *requestParams, error) {
	cloud, err := s.lookupCloud(c)
	if err != nil {
		return store.Cloud{}, nil, err
	}
	p, err := readParams(c.Request(), c.Response(), paramLimits{
		maxFileBytes: s.cfg.MaxUploadBytes, createTemp: s.store.CreateTemp})
	if err == nil {
		err = s.authorizeUpload(c, p, cloud) // upload_presets.go: signatures, presets, unsigned uploads
	}
	if err != nil {
		p.cleanup()
		return store.Cloud{}, nil, err
	}
	return cloud, p, nil
}

// pathResourceType is the resource type in the URL path; auto only where allowAuto.
func pathResourceType(c echo.Context, allowAuto bool) (string, error) {
	rt := c.Param("resource_type")
	if rt == "" {
		rt = "auto"
	}
	switch rt {
	case "image", "raw", "video":
		return rt, nil
	case "auto":
		if allowAuto {
			return rt, nil
		}
	}
	return "", badRequest("Invalid resource type %s", rt)
}

// deliveryType reads a delivery type parameter (type, to_type), default upload.
func deliveryType(p *requestParams, name string) (string, error) {
	switch t := p.get(name); t {
	case "":
		return "upload", nil
	case "upload", "private", "authenticated":
		return t, nil
	default:
		return "", badRequest("Invalid %s - %s", name, t)
	}
}

// storedType reads the type of a call on stored assets (destroy, tags, context, explicit):
// an upload type, or a remote type whose images were fetched.
func storedType(p *requestParams, name string) (string, error) {
	if t := p.get(name); isRemoteType(t) {
		return t, nil
	}
	return deliveryType(p, name)
}

// uploadSource is the file an upload brings, in a temp file of the data directory.
type uploadSource struct {
	path     string
	filename string // the client's file name, "" when it had none
}

// source finds the upload's file: a multipart file part, a data URI or a remote http(s) URL.
func (s *Server) source(ctx context.Context, p *requestParams) (uploadSource, error) {
	if p.file != nil {
		return uploadSource{path: p.file.path, filename: p.file.filename}, nil
	}
	file := p.get("file")
	if file == "" {
		return uploadSource{}, missingParam("file")
	}
	switch {
	case strings.HasPrefix(file, "data:"):
		return s.tempSource(func(f *os.File) (string, error) { return "", writeDataURI(f, file, s.cfg.MaxUploadBytes) })
	case strings.HasPrefix(file, "http://"), strings.HasPrefix(file, "https://"):
		return s.tempSource(func(f *os.File) (string, error) { return s.fetcher.fetch(ctx, file, f) })
	default:
		return uploadSource{}, badRequest("Invalid file parameter - expected a file, a data URI or an http(s) URL")
	}
}

// tempSource makes a source in a new temp file that write fills; write returns the source's
// file name. Nothing is left behind when it fails.
func (s *Server) tempSource(write func(*os.File) (string, error)) (uploadSource, error) {
	f, err := s.store.CreateTemp()
	if err != nil {
		return uploadSource{}, err
	}
	src := uploadSource{path: f.Name()}
	src.filename, err = write(f)
	if closeErr := f.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("write upload: %w", closeErr)
	}
	if err != nil {
		os.Remove(src.path)
		return uploadSource{}, err
	}
	return src, nil
}

// writeDataURI decodes `data:[<mime>][;k=v]*;base64,<data>` into w.
func writeDataURI(w io.Writer, uri string, maxBytes int64) error {
	data, err := dataURIContent(bufio.NewReader(strings.NewReader(uri)))
	if err != nil {
		return err
	}
	n, err := io.Copy(diskWriter{w}, io.LimitReader(data, maxBytes+1))
	if failure := localWriteFailure(err); failure != nil {
		return failure
	}
	if err != nil {
		return badRequest("Invalid data URI - %v", err)
	}
	if n > maxBytes {
		return fileTooLarge(0, maxBytes)
	}
	return nil
}

// maxDataURIHeader bounds what may come before a data URI's comma (the media type and its
// parameters).
const maxDataURIHeader = 1024

// dataURIContent reads a base64 data URI's header up to its comma and returns the decoded
// content that follows, read as it is consumed. (The base64 decoder skips line breaks.)
func dataURIContent(uri *bufio.Reader) (io.Reader, error) {
	var header []byte
	for {
		b, err := uri.ReadByte()
		if err != nil || len(header) > maxDataURIHeader {
			return nil, badRequest("Invalid data URI - only base64 data URIs are supported")
		}
		if b == ',' {
			break
		}
		header = append(header, b)
	}
	if !strings.HasPrefix(string(header), "data:") || !strings.HasSuffix(string(header), ";base64") {
		return nil, badRequest("Invalid data URI - only base64 data URIs are supported")
	}
	return base64.NewDecoder(base64.StdEncoding, uri), nil
}

// upload is POST /v1_1/:cloud/:resource_type/upload.
func (s *Server) upload(c echo.Context) error {
	rt, err := pathResourceType(c, true)
	if err != nil {
		return err
	}
	cloud, p, err := s.uploadRequest(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	if named := p.get("resource_type"); rt == "auto" && (named == "image" || named == "raw" || named == "video") {
		rt = named // cloudinary-go posts every upload to auto/upload and names the type in the form
	}
	opts, err := readUploadOptions(p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	src, err := s.source(ctx, p)
	if err != nil {
		return err
	}
	defer os.Remove(src.path) // gone already once the store took it over
	a, err := s.inspect(ctx, cloud, &src, rt, opts)
	if err != nil {
		return err
	}
	a.CloudID = cloud.ID
	if err := s.nameAsset(&a, src, opts); err != nil {
		return err
	}
	saved, result, err := s.store.SaveAsset(ctx, a, src.path, opts.overwrite)
	if err != nil {
		return err
	}
	out := s.assetResponse(saved, cloud)
	out.Existing, out.Overwritten = result == store.Existing, result == store.Overwritten
	if out.Eager, err = s.generateEager(ctx, cloud, saved, opts.eager); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// uploadOptions are an upload's parameters, parsed once.
type uploadOptions struct {
	deliveryType     string
	publicID         string
	folder           string
	useFilename      bool
	uniqueFilename   bool
	overwrite        bool
	filenameOverride string
	format           string
	allowedFormats   []string
	tags             []string
	context          map[string]string
	assetFolder      string
	displayName      string
	accessMode       string
	attributes       map[string]string
	eager            []eagerSpec
	incoming         transform.Chain // `transformation`: applied before the original is stored
}

func readUploadOptions(p *requestParams) (uploadOptions, error) {
	var o uploadOptions
	var err error
	if o.deliveryType, err = deliveryType(p, "type"); err != nil {
		return o, err
	}
	for _, b := range []struct {
		dst  *bool
		name string
		def  bool
	}{{&o.useFilename, "use_filename", false}, {&o.uniqueFilename, "unique_filename", true}, {&o.overwrite, "overwrite", true}} {
		if *b.dst, err = p.boolean(b.name, b.def); err != nil {
			return o, err
		}
	}
	o.publicID = p.get("public_id")
	o.folder = strings.Trim(p.get("folder"), "/")
	if prefix := strings.Trim(p.get("public_id_prefix"), "/"); prefix != "" {
		o.folder = joinFolder(o.folder, prefix)
	}
	o.filenameOverride = p.get("filename_override")
	o.format = transform.NormalizeFormat(p.get("format"))
	for _, f := range p.items("allowed_formats") {
		o.allowedFormats = append(o.allowedFormats, transform.NormalizeFormat(f))
	}
	o.tags = p.items("tags")
	o.context = parseContext(p.get("context"))
	o.assetFolder, o.displayName = p.get("asset_folder"), p.get("display_name")
	switch o.accessMode = p.get("access_mode"); o.accessMode {
	case "", "public", "authenticated":
	default:
		return o, badRequest("Invalid access_mode - %s", o.accessMode)
	}
	if o.eager, err = parseEager(p); err != nil {
		return o, err
	}
	if o.incoming, err = transform.Parse(p.get("transformation")); err != nil {
		return o, transformError(err)
	}
	o.attributes = map[string]string{}
	for _, name := range describingParams {
		if v := p.get(name); v != "" {
			o.attributes[name] = v
		}
	}
	return o, nil
}

// inspect learns what the uploaded file is — resource type, format, dimensions, EXIF — refusing
// what is not acceptable, and applies the `format` conversion. It fills the asset's media fields.
func (s *Server) inspect(ctx context.Context, cloud store.Cloud, src *uploadSource, rt string, opts uploadOptions) (store.Asset, error) {
	data, err := os.ReadFile(src.path)
	if err != nil {
		return store.Asset{}, fmt.Errorf("read upload: %w", err)
	}
	if len(data) == 0 {
		return store.Asset{}, badRequest("Empty file")
	}
	a := store.Asset{}
	info, probeErr := transform.Probe(data)
	video := sniffVideo(data[:min(len(data), 16)])
	switch {
	case rt == "image" || (rt == "auto" && probeErr == nil):
		if probeErr != nil {
			return a, badRequest("Invalid image file")
		}
		a.ResourceType = "image"
		if data, info, err = s.acceptImage(ctx, cloud, data, info, src, opts); err != nil {
			return a, err
		}
		a.Format, a.Width, a.Height, a.Pages, a.EXIF = info.Format, info.Width, info.Height, info.Pages, info.EXIF
		if info.Orientation >= 5 && info.Orientation <= 8 && info.Format != "heic" && info.Format != "avif" {
			// Cloudinary reports an image upright, as EXIF says to show it (and as every
			// derived image is made); the stored bytes stay exactly as uploaded.
			a.Width, a.Height = a.Height, a.Width
		}
		a.HasAlpha = info.HasAlpha
	case rt == "video" || (rt == "auto" && video != ""):
		if video == "" {
			return a, badRequest("Unsupported video format or file")
		}
		a.ResourceType, a.Format = "video", video
	default:
		a.ResourceType, a.Format = "raw", fileExt(src.filename)
	}
	sum := md5.Sum(data)
	a.ETag, a.Bytes = hex.EncodeToString(sum[:]), int64(len(data))
	return a, nil
}

// acceptImage checks an image against the limits and allowed formats, fully decodes it to
// refuse corrupt files, and applies the upload's incoming `transformation` and `format`. It
// returns the bytes to store and what they are.
func (s *Server) acceptImage(ctx context.Context, cloud store.Cloud, data []byte, info transform.Info, src *uploadSource, opts uploadOptions) ([]byte, transform.Info, error) {
	pixels := imagePixels(info.Width, info.Height, info.Pages)
	if pixels > s.cfg.MaxSourcePixels {
		return nil, info, badRequest("Image is too large: %dx%d with %d pages is %d pixels, the maximum is %d",
			info.Width, info.Height, max(info.Pages, 1), pixels, s.cfg.MaxSourcePixels)
	}
	if opts.format == "" && len(opts.allowedFormats) > 0 && !slices.Contains(opts.allowedFormats, info.Format) {
		return nil, info, badRequest("Image format %s not allowed", info.Format)
	}
	if err := transform.Verify(data); err != nil {
		return nil, info, badRequest("Invalid image file: %v", err)
	}
	target := info.Format
	if opts.format != "" {
		target = opts.format
	}
	var out []byte
	var err error
	switch {
	case len(opts.incoming.Components) > 0:
		out, err = s.applyIncoming(ctx, cloud, data, pixels, opts.incoming, target)
	case target != info.Format:
		out, err = transform.Convert(data, target)
	default:
		return data, info, nil
	}
	if errors.Is(err, transform.ErrUnsupportedFormat) {
		return nil, info, badRequest("Invalid format - %s", target)
	}
	if err != nil {
		return nil, info, err
	}
	outInfo, err := transform.Probe(out)
	if err != nil {
		return nil, info, fmt.Errorf("probe transformed upload: %w", err)
	}
	outInfo.EXIF = info.EXIF
	if err := os.WriteFile(src.path, out, 0o640); err != nil {
		return nil, info, fmt.Errorf("write transformed upload: %w", err)
	}
	return out, outInfo, nil
}

// applyIncoming runs an upload's incoming transformation over data (pixels in all: width ×
// height × pages): the result, not the upload, becomes the stored original.
func (s *Server) applyIncoming(ctx context.Context, cloud store.Cloud, data []byte, pixels int64, chain transform.Chain, format string) ([]byte, error) {
	expanded, err := s.expandNamed(ctx, cloud, chain)
	if err != nil {
		return nil, err
	}
	if !transform.CanWrite(format) {
		return nil, fmt.Errorf("%w: %s", transform.ErrUnsupportedFormat, format)
	}
	release, err := s.transforms.acquire(ctx, pixels)
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TransformTimeout)
	defer cancel()
	out, err := transform.Execute(ctx, transform.Source{Bytes: data}, expanded, format, s.layerLoader(ctx, cloud),
		transform.Limits{MaxOutputPixels: s.cfg.MaxSourcePixels})
	if errors.Is(err, transform.ErrInvalid) {
		return nil, badRequest("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("incoming transformation: %w", err)
	}
	return out.Bytes, nil
}

// nameAsset decides the asset's public id, type and descriptive fields from the options.
func (s *Server) nameAsset(a *store.Asset, src uploadSource, opts uploadOptions) error {
	filename := src.filename
	if opts.filenameOverride != "" {
		filename = opts.filenameOverride
	}
	raw := a.ResourceType == "raw"
	id := opts.publicID
	if id == "" && opts.useFilename && filename != "" {
		id = filenameID(filename, raw)
		if opts.uniqueFilename {
			stem, ext := id, ""
			if raw {
				ext = "." + fileExt(id)
				stem = strings.TrimSuffix(id, ext)
				if ext == "." {
					ext = ""
				}
			}
			id = stem + "_" + randomID(6) + ext
		}
	}
	if id == "" {
		id = randomID(20)
		if raw && a.Format != "" {
			id += "." + a.Format
		}
	}
	id = joinFolder(opts.folder, id)
	if err := checkPublicID("public_id", id); err != nil {
		return err
	}
	a.Type, a.PublicID, a.Folder = opts.deliveryType, id, folderOf(id)
	a.Tags, a.Context, a.Attributes = opts.tags, opts.context, opts.attributes
	a.AssetFolder, a.DisplayName, a.AccessMode = opts.assetFolder, opts.displayName, opts.accessMode
	if a.AssetFolder == "" {
		a.AssetFolder = a.Folder
	}
	if a.DisplayName == "" {
		a.DisplayName = id[strings.LastIndexByte(id, '/')+1:]
	}
	if filename != "" {
		a.OriginalFilename = strings.TrimSuffix(pathBase(filename), "."+fileExt(filename))
	} else {
		a.OriginalFilename = "file"
	}
	return nil
}

func pathBase(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	return name[strings.LastIndexByte(name, '/')+1:]
}
