package httpapi

import (
	"encoding/json"
	"math"
	"strings"

	"cloudlet/store"
)

// searchResourceJSON is a search result as Cloudinary answers it. Unlike the Admin API, search
// gives the context flat ({"alt": "x"}) and tags, context and metadata only when asked for.
type searchResourceJSON struct {
	AssetID       string            `json:"asset_id"`
	PublicID      string            `json:"public_id"`
	Folder        string            `json:"folder"`
	AssetFolder   string            `json:"asset_folder"`
	Filename      string            `json:"filename"`
	DisplayName   string            `json:"display_name"`
	Format        string            `json:"format"`
	Version       int64             `json:"version"`
	ResourceType  string            `json:"resource_type"`
	Type          string            `json:"type"`
	CreatedAt     string            `json:"created_at"`
	UploadedAt    string            `json:"uploaded_at"`
	Bytes         int64             `json:"bytes"`
	BackupBytes   int64             `json:"backup_bytes"`
	Width         int               `json:"width"`
	Height        int               `json:"height"`
	AspectRatio   float64           `json:"aspect_ratio"`
	Pixels        int64             `json:"pixels"`
	Pages         int               `json:"pages,omitempty"`
	Tags          *[]string         `json:"tags,omitempty"` // present, possibly empty, when asked for
	Context       map[string]string `json:"context,omitempty"`
	ImageMetadata map[string]string `json:"image_metadata,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	URL           string            `json:"url"`
	SecureURL     string            `json:"secure_url"`
	Status        string            `json:"status"`
	AccessMode    string            `json:"access_mode"`
	AccessControl json.RawMessage   `json:"access_control"` // null when the asset has none
	ETag          string            `json:"etag"`
}

// searchOutput is what each result carries: the extra fields asked for with with_field (or
// fields), and, when fields is given, only those fields and the ones always present.
type searchOutput struct {
	with   map[string]bool
	fields map[string]bool // nil: every field
}

// searchExtras are the with_field values cloudlet answers.
var searchExtras = []string{"tags", "context", "image_metadata", "metadata"}

// searchAlwaysFields are in every result whatever fields says (Cloudinary's rule).
var searchAlwaysFields = []string{"public_id", "asset_id", "asset_folder", "created_at", "status", "type", "resource_type"}

func readSearchOutput(p *requestParams) (searchOutput, error) {
	out := searchOutput{with: map[string]bool{}}
	with, err := searchList(p, "with_field")
	if err != nil {
		return out, err
	}
	for _, name := range with {
		if !isSearchExtra(name) {
			return out, badRequest("Invalid with_field - %s: cloudlet returns %s", name, strings.Join(searchExtras, ", "))
		}
		out.with[name] = true
	}
	fields, err := searchList(p, "fields")
	if err != nil || len(fields) == 0 {
		return out, err
	}
	// fields takes precedence over with_field: it names every field the results carry.
	out.fields = map[string]bool{}
	for _, name := range append(fields, searchAlwaysFields...) {
		out.fields[name] = true
	}
	out.with = map[string]bool{}
	for _, name := range searchExtras {
		out.with[name] = out.fields[name]
	}
	return out, nil
}

func isSearchExtra(name string) bool {
	for _, e := range searchExtras {
		if e == name {
			return true
		}
	}
	return false
}

// searchTime is Cloudinary's date form in search results.
const searchTime = "2006-01-02T15:04:05+00:00"

// searchResource renders one result.
func (s *Server) searchResource(a store.Asset, cloud store.Cloud, out searchOutput) (any, error) {
	u := s.deliveryURL(cloud.Name, a)
	r := searchResourceJSON{
		AssetID: a.AssetID, PublicID: a.PublicID, Folder: a.Folder, AssetFolder: a.AssetFolder,
		Filename: a.Filename(), DisplayName: a.DisplayName, Format: a.Format, Version: a.Version,
		ResourceType: a.ResourceType, Type: a.Type, CreatedAt: a.CreatedAt.UTC().Format(searchTime),
		UploadedAt: a.UploadedAt().UTC().Format(searchTime), Bytes: a.Bytes, Width: a.Width,
		Height: a.Height, AspectRatio: aspectRatio(a.Width, a.Height), Pixels: int64(a.Width) * int64(a.Height),
		Pages: a.Pages, URL: u, SecureURL: u, Status: "active", AccessMode: a.AccessMode,
		AccessControl: json.RawMessage("null"), ETag: a.ETag,
	}
	if ac := a.Attributes["access_control"]; ac != "" && json.Valid([]byte(ac)) {
		r.AccessControl = json.RawMessage(ac)
	}
	if out.with["tags"] {
		tags := append([]string{}, a.Tags...)
		r.Tags = &tags
	}
	if out.with["context"] && len(a.Context) > 0 {
		r.Context = a.Context
	}
	if out.with["image_metadata"] && len(a.EXIF) > 0 {
		r.ImageMetadata = a.EXIF
	}
	if m := a.Attributes["metadata"]; out.with["metadata"] && m != "" {
		r.Metadata = parseContext(m)
	}
	if out.fields == nil {
		return r, nil
	}
	return onlyFields(r, out.fields)
}

// onlyFields keeps the listed fields of a rendered result.
func onlyFields(r searchResourceJSON, fields map[string]bool) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k := range all {
		if !fields[k] {
			delete(all, k)
		}
	}
	return all, nil
}

// aspectRatio is width / height rounded as Cloudinary prints it (5 decimals); 0 without
// dimensions.
func aspectRatio(w, h int) float64 {
	if h <= 0 {
		return 0
	}
	return math.Round(float64(w)/float64(h)*1e5) / 1e5
}
