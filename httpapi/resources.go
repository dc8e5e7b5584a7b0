package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// resourceRoutes registers the resource listings, details, update and the tag listing.
func (s *Server) resourceRoutes(admin *echo.Group) {
	admin.GET("/resources", s.resourceTypes)
	admin.GET("/resources/by_asset_ids", s.resourcesByAssetIDs)
	admin.POST("/resources/by_asset_ids", s.resourcesByAssetIDs)
	admin.GET("/resources/by_asset_folder", s.listResources)
	admin.GET("/resources/:resource_type", s.listOrAssetDetails)
	admin.GET("/resources/:resource_type/tags/*", s.listResources) // a tag may hold a slash
	admin.GET("/resources/:resource_type/context", s.listResources)
	admin.GET("/resources/:resource_type/:type", s.listResources)
	admin.GET("/resources/:resource_type/:type/*", s.resourceDetails)
	admin.POST("/resources/:resource_type/:type/*", s.updateResource)
	admin.GET("/tags/:resource_type", s.listTags)
}

var resourceTypes = []string{"image", "raw", "video"}

// resourceTypes is GET /resources.
func (s *Server) resourceTypes(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string][]string{"resource_types": resourceTypes})
}

func checkResourceType(rt string) error {
	for _, t := range resourceTypes {
		if rt == t {
			return nil
		}
	}
	return badRequest("Invalid resource type %s", rt)
}

// briefJSON is an item of a resource listing (tags, context and metadata only on request).
type briefJSON struct {
	AssetID      string            `json:"asset_id"`
	PublicID     string            `json:"public_id"`
	Folder       string            `json:"folder"`
	AssetFolder  string            `json:"asset_folder"`
	DisplayName  string            `json:"display_name"`
	Format       string            `json:"format,omitempty"`
	Version      int64             `json:"version"`
	ResourceType string            `json:"resource_type"`
	Type         string            `json:"type"`
	CreatedAt    string            `json:"created_at"`
	Bytes        int64             `json:"bytes"`
	Width        int               `json:"width,omitempty"`
	Height       int               `json:"height,omitempty"`
	Backup       bool              `json:"backup"`
	AccessMode   string            `json:"access_mode"`
	URL          string            `json:"url"`
	SecureURL    string            `json:"secure_url"`
	Tags         *[]string         `json:"tags,omitempty"` // present, possibly empty, when asked for
	Context      *contextJSON      `json:"context,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Moderation   []moderationJSON  `json:"moderation,omitempty"`
}

// listFields are a listing's include flags.
type listFields struct{ tags, context, metadata, moderations bool }

func readListFields(p *requestParams) (listFields, error) {
	var f listFields
	var err error
	for _, b := range []struct {
		dst  *bool
		name string
	}{{&f.tags, "tags"}, {&f.context, "context"}, {&f.metadata, "metadata"}, {&f.moderations, "moderations"}} {
		if *b.dst, err = p.boolean(b.name, false); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Server) brief(a store.Asset, cloud store.Cloud, f listFields) briefJSON {
	full := s.assetResponse(a, cloud)
	b := briefJSON{AssetID: a.AssetID, PublicID: a.PublicID, Folder: a.Folder, AssetFolder: a.AssetFolder,
		DisplayName: a.DisplayName, Format: full.Format, Version: a.Version, ResourceType: a.ResourceType,
		Type: a.Type, CreatedAt: full.CreatedAt, Bytes: a.Bytes, Width: a.Width, Height: a.Height,
		AccessMode: a.AccessMode, URL: full.URL, SecureURL: full.SecureURL}
	if f.tags {
		tags := append([]string{}, full.Tags...)
		b.Tags = &tags
	}
	if f.context && len(a.Context) > 0 {
		b.Context = full.Context
	}
	if f.metadata {
		b.Metadata = nonEmpty(full.Metadata)
	}
	if f.moderations {
		b.Moderation = full.Moderation
	}
	return b
}

type listJSON struct {
	Resources  []briefJSON `json:"resources"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// listResources serves every resource listing: by resource type (and type), by tag, by context
// key/value, by public ids, by asset folder. Pages are keyset-ordered.
func (s *Server) listResources(c echo.Context) error {
	cloud := requestCloud(c)
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	q := store.ListQuery{CloudID: cloud.ID, ResourceType: c.Param("resource_type"), Type: c.Param("type")}
	path := c.Path()
	switch {
	case strings.HasSuffix(path, "/by_asset_folder"):
		if q.AssetFolder = p.get("asset_folder"); q.AssetFolder == "" {
			return missingParam("asset_folder")
		}
	case strings.HasSuffix(path, "/tags/*"):
		q.Tag = c.Param("*")
	case strings.HasSuffix(path, "/context"):
		if q.ContextKey = p.get("key"); q.ContextKey == "" {
			return missingParam("key")
		}
		q.ContextValue = p.get("value")
	}
	if q.ResourceType != "" {
		if err := checkResourceType(q.ResourceType); err != nil {
			return err
		}
	}
	q.Prefix = p.get("prefix")
	if ids := p.items("public_ids"); len(ids) > 0 {
		if len(ids) > 100 {
			return badRequest("Too many public_ids - at most 100")
		}
		q.PublicIDs = ids
	}
	switch dir := p.get("direction"); dir {
	case "", "desc", "-1":
	case "asc", "1":
		q.Ascending = true
	default:
		return badRequest("Invalid direction - %s", dir)
	}
	if v := p.get("start_at"); v != "" {
		if q.StartAt, err = parseStartAt(v); err != nil {
			return err
		}
	}
	if q.Limit, err = maxResults(p, 10, 500, false); err != nil {
		return err
	}
	if err := decodeCursor(p.get("next_cursor"), &q.After); err != nil {
		return err
	}
	fields, err := readListFields(p)
	if err != nil {
		return err
	}
	q.WithLabels = fields.tags || fields.context
	return s.writeList(c, cloud, q, fields)
}

func (s *Server) writeList(c echo.Context, cloud store.Cloud, q store.ListQuery, f listFields) error {
	page, next, err := s.store.ListAssets(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := listJSON{Resources: make([]briefJSON, 0, len(page))}
	for _, a := range page {
		out.Resources = append(out.Resources, s.brief(a, cloud, f))
	}
	if !next.IsZero() {
		out.NextCursor = encodeCursor(next)
	}
	return c.JSON(http.StatusOK, out)
}

// parseStartAt reads start_at: "yyyy-mm-dd hh:mm:ss", ISO 8601, or an HTTP date (npm sends
// Date.toUTCString()).
func parseStartAt(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02", http.TimeFormat, time.RFC1123Z} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("Invalid start_at - %s", v)
}

// resourcesByAssetIDs is GET/POST /resources/by_asset_ids.
func (s *Server) resourcesByAssetIDs(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	ids := p.items("asset_ids")
	if len(ids) == 0 {
		return missingParam("asset_ids")
	}
	if len(ids) > 100 {
		return badRequest("Too many asset_ids - at most 100")
	}
	fields, err := readListFields(p)
	if err != nil {
		return err
	}
	q := store.ListQuery{CloudID: requestCloud(c).ID, AssetIDs: ids, Limit: len(ids), WithLabels: fields.tags || fields.context}
	return s.writeList(c, requestCloud(c), q, fields)
}

var assetIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// listOrAssetDetails is GET /resources/:x: a 32-hex x is an asset id (details), anything else a
// resource type (listing).
func (s *Server) listOrAssetDetails(c echo.Context) error {
	id := c.Param("resource_type")
	if !assetIDPattern.MatchString(id) {
		return s.listResources(c)
	}
	a, err := s.store.AssetByAssetID(c.Request().Context(), requestCloud(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	return s.writeDetails(c, a)
}

// detailsJSON is the Admin API's resource details: the asset plus its derived list.
type detailsJSON struct {
	assetJSON
	Derived     []derivedJSON                     `json:"derived"`
	NextCursor  string                            `json:"next_cursor,omitempty"`
	Faces       *[][4]int                         `json:"faces,omitempty"` // present, possibly empty, when asked for
	Coordinates *coordinateJSON                   `json:"coordinates,omitempty"`
	Colors      []transform.ColorShare            `json:"colors,omitempty"`
	Predominant map[string][]transform.ColorShare `json:"predominant,omitempty"`
	PHash       string                            `json:"phash,omitempty"`
}

type coordinateJSON struct {
	Faces  [][4]int `json:"faces"`
	Custom [][4]int `json:"custom"`
}

// derivedJSON is an item of a resource's derived list.
type derivedJSON struct {
	Transformation string `json:"transformation"`
	Format         string `json:"format"`
	Bytes          int64  `json:"bytes"`
	ID             string `json:"id"`
	URL            string `json:"url"`
	SecureURL      string `json:"secure_url"`
}

// detailsAsset finds the asset a details or update path names.
func (s *Server) detailsAsset(c echo.Context) (store.Asset, store.AssetKey, error) {
	publicID := c.Param("*")
	if publicID == "" {
		return store.Asset{}, store.AssetKey{}, badRequest("Invalid public id")
	}
	key := store.AssetKey{CloudID: requestCloud(c).ID, ResourceType: c.Param("resource_type"), Type: c.Param("type"), PublicID: publicID}
	a, err := s.store.Asset(c.Request().Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		return a, key, notFound(publicID)
	}
	return a, key, err
}

// resourceDetails is GET /v1_1/:cloud/resources/:resource_type/:type/:public_id.
func (s *Server) resourceDetails(c echo.Context) error {
	a, _, err := s.detailsAsset(c)
	if err != nil {
		return err
	}
	return s.writeDetails(c, a)
}

// writeDetails answers with an asset's details and the extras the query asks for.
func (s *Server) writeDetails(c echo.Context, a store.Asset) error {
	cloud := requestCloud(c)
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	derived, err := s.store.DerivedOf(c.Request().Context(), a)
	if err != nil {
		return err
	}
	out := detailsJSON{assetJSON: s.assetResponse(a, cloud)}
	out.Signature, out.APIKey = "", ""
	limit, err := maxResults(p, 10, 500, false)
	if err != nil {
		return err
	}
	var after string
	if err := decodeCursor(p.get("derived_next_cursor"), &after); err != nil {
		return err
	}
	out.Derived = []derivedJSON{}
	for _, d := range derived {
		if after != "" && d.ID <= after {
			continue
		}
		if len(out.Derived) == limit {
			out.NextCursor = encodeCursor(out.Derived[limit-1].ID)
			break
		}
		u := s.derivedURL(cloud.Name, a, d.Transformation, d.Format)
		out.Derived = append(out.Derived, derivedJSON{Transformation: d.Transformation, Format: d.Format,
			Bytes: d.Bytes, ID: d.ID, URL: u, SecureURL: u})
	}
	flags := map[string]bool{}
	for _, name := range []string{"exif", "image_metadata", "faces", "coordinates", "colors", "phash"} {
		if flags[name], err = p.boolean(name, false); err != nil {
			return err
		}
	}
	if flags["exif"] {
		out.EXIF = nonEmpty(a.EXIF)
	}
	if flags["image_metadata"] {
		out.ImageMetadata = nonEmpty(a.EXIF)
	}
	faces := parseCoordinates(a.Attributes["face_coordinates"])
	if flags["faces"] {
		list := nonNilCoords(faces)
		out.Faces = &list
	}
	if (flags["colors"] || flags["phash"]) && a.ResourceType == "image" {
		if err := s.analyze(a, &out, flags["colors"], flags["phash"]); err != nil {
			return err
		}
	}
	if flags["coordinates"] {
		out.Coordinates = &coordinateJSON{Faces: nonNilCoords(faces), Custom: nonNilCoords(parseCoordinates(a.Attributes["custom_coordinates"]))}
	}
	return c.JSON(http.StatusOK, out)
}

// analyze adds the colour histogram, predominant colours and perceptual hash of the original.
func (s *Server) analyze(a store.Asset, out *detailsJSON, colors, phash bool) error {
	data, err := os.ReadFile(s.store.BlobPath(a.Blob))
	if err != nil {
		return fmt.Errorf("read original: %w", err)
	}
	an, err := transform.Analyze(data)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", a.PublicID, err)
	}
	if colors {
		out.Colors, out.Predominant = an.Colors, an.Predominant
	}
	if phash {
		out.PHash = an.PHash
	}
	return nil
}

// parseCoordinates reads "x,y,w,h|x,y,w,h" (malformed groups are skipped: they were accepted
// as given at upload).
func parseCoordinates(s string) [][4]int {
	var out [][4]int
	for _, group := range strings.Split(s, "|") {
		parts := strings.Split(group, ",")
		if len(parts) != 4 {
			continue
		}
		var box [4]int
		ok := true
		for i, part := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			box[i], ok = n, ok && err == nil
		}
		if ok {
			out = append(out, box)
		}
	}
	return out
}

func nonNilCoords(c [][4]int) [][4]int {
	if c == nil {
		return [][4]int{}
	}
	return c
}

// updateResource is POST /v1_1/:cloud/resources/:resource_type/:type/:public_id: tags and
// context are replaced when given, descriptive fields set, and the details returned.
func (s *Server) updateResource(c echo.Context) error {
	_, key, err := s.detailsAsset(c)
	if err != nil {
		return err
	}
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	var u store.AssetUpdate
	if p.has("tags") {
		u.Tags = append([]string{}, p.items("tags")...)
	}
	if p.has("context") {
		u.Context = parseContext(p.get("context"))
	}
	if p.has("display_name") {
		v := p.get("display_name")
		u.DisplayName = &v
	}
	if p.has("asset_folder") {
		v := strings.Trim(p.get("asset_folder"), "/")
		u.AssetFolder = &v
	}
	u.Attributes = map[string]string{}
	for _, name := range describingParams {
		if p.has(name) {
			u.Attributes[name] = p.get(name)
		}
	}
	if st := p.get("moderation_status"); st != "" {
		if st != "approved" && st != "rejected" {
			return badRequest("Invalid moderation_status - %s", st)
		}
		u.Attributes["moderation_status"] = st
	}
	a, err := s.store.UpdateAsset(c.Request().Context(), key, u)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(key.PublicID)
	}
	if err != nil {
		return err
	}
	return s.writeDetails(c, a)
}

// tagsJSON is the tag listing.
type tagsJSON struct {
	Tags       []string `json:"tags"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// listTags is GET /v1_1/:cloud/tags/:resource_type.
func (s *Server) listTags(c echo.Context) error {
	rt := c.Param("resource_type")
	if err := checkResourceType(rt); err != nil {
		return err
	}
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	limit, err := maxResults(p, 10, 500, false)
	if err != nil {
		return err
	}
	var after string
	if err := decodeCursor(p.get("next_cursor"), &after); err != nil {
		return err
	}
	tags, more, err := s.store.ListTags(c.Request().Context(), requestCloud(c).ID, rt, p.get("prefix"), after, limit)
	if err != nil {
		return err
	}
	out := tagsJSON{Tags: tags}
	if more {
		out.NextCursor = encodeCursor(tags[len(tags)-1])
	}
	return c.JSON(http.StatusOK, out)
}

func nonEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
