package httpapi

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cloudlet/store"
)

// assetJSON is an asset as Cloudinary's APIs answer it (upload, explicit, rename, details).
// Fields appear in Cloudinary's order; conditional ones are omitted when not relevant.
type assetJSON struct {
	AssetID          string            `json:"asset_id"`
	PublicID         string            `json:"public_id"`
	Version          int64             `json:"version"`
	VersionID        string            `json:"version_id"`
	Signature        string            `json:"signature,omitempty"`
	Width            int               `json:"width,omitempty"`
	Height           int               `json:"height,omitempty"`
	Format           string            `json:"format,omitempty"`
	ResourceType     string            `json:"resource_type"`
	CreatedAt        string            `json:"created_at"`
	Tags             []string          `json:"tags"`
	Pages            int               `json:"pages,omitempty"`
	Bytes            int64             `json:"bytes"`
	Type             string            `json:"type"`
	ETag             string            `json:"etag"`
	Placeholder      bool              `json:"placeholder"`
	URL              string            `json:"url"`
	SecureURL        string            `json:"secure_url"`
	AccessMode       string            `json:"access_mode"`
	Folder           string            `json:"folder"`
	AssetFolder      string            `json:"asset_folder"`
	DisplayName      string            `json:"display_name"`
	OriginalFilename string            `json:"original_filename,omitempty"`
	Context          *contextJSON      `json:"context,omitempty"`
	ImageMetadata    map[string]string `json:"image_metadata,omitempty"`
	EXIF             map[string]string `json:"exif,omitempty"`
	Existing         bool              `json:"existing,omitempty"`
	Overwritten      bool              `json:"overwritten,omitempty"`
	APIKey           string            `json:"api_key,omitempty"`
	Eager            []eagerJSON       `json:"eager,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Moderation       []moderationJSON  `json:"moderation,omitempty"`
	AccessControl    json.RawMessage   `json:"access_control,omitempty"`
}

type moderationJSON struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// describingParams are the upload parameters that describe an asset beyond its columns: they
// are stored as attributes by their Cloudinary names and answered where Cloudinary answers them.
var describingParams = []string{"face_coordinates", "custom_coordinates", "moderation",
	"quality_override", "access_control", "headers", "metadata"}

// renderAttributes fills the response fields that come from stored attributes.
func renderAttributes(out *assetJSON, attrs map[string]string) {
	if m := attrs["metadata"]; m != "" {
		out.Metadata = parseContext(m)
	}
	if kind := attrs["moderation"]; kind != "" {
		status := attrs["moderation_status"]
		if status == "" {
			status = "pending"
		}
		out.Moderation = []moderationJSON{{Kind: kind, Status: status}}
	}
	if ac := attrs["access_control"]; json.Valid([]byte(ac)) {
		out.AccessControl = json.RawMessage(ac)
	}
}

type contextJSON struct {
	Custom map[string]string `json:"custom"`
}

// assetResponse renders a for the cloud that owns it.
func (s *Server) assetResponse(a store.Asset, cloud store.Cloud) assetJSON {
	u := s.deliveryURL(cloud.Name, a)
	out := assetJSON{
		AssetID: a.AssetID, PublicID: a.PublicID, Version: a.Version, VersionID: a.VersionID,
		Signature: responseSignature(a.PublicID, a.Version, cloud.APISecret),
		Width:     a.Width, Height: a.Height, Format: a.Format, ResourceType: a.ResourceType,
		CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339), Tags: a.Tags, Pages: a.Pages,
		Bytes: a.Bytes, Type: a.Type, ETag: a.ETag, URL: u, SecureURL: u,
		AccessMode: a.AccessMode, Folder: a.Folder, AssetFolder: a.AssetFolder,
		DisplayName: a.DisplayName, OriginalFilename: a.OriginalFilename, APIKey: cloud.APIKey,
	}
	renderAttributes(&out, a.Attributes)
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if len(a.Context) > 0 {
		out.Context = &contextJSON{Custom: a.Context}
	}
	return out
}

// deliveryURL is the versioned URL of an asset's original on this server.
func (s *Server) deliveryURL(cloudName string, a store.Asset) string {
	var b strings.Builder
	b.WriteString(s.cfg.PublicURL)
	for _, part := range []string{cloudName, a.ResourceType, a.Type, "v" + itoa(a.Version)} {
		b.WriteByte('/')
		b.WriteString(part)
	}
	b.WriteByte('/')
	b.WriteString(escapePublicID(a.PublicID))
	if a.ResourceType != "raw" && a.Type != "fetch" && a.Format != "" { // a fetch id is a URL, whole
		b.WriteByte('.')
		b.WriteString(a.Format)
	}
	return b.String()
}

// escapePublicID percent-encodes a public id for a URL path the way the SDKs do: every byte
// but unreserved characters, '/' and ':'.
func escapePublicID(id string) string {
	segments := strings.Split(id, "/")
	for i, seg := range segments {
		segments[i] = strings.ReplaceAll(url.PathEscape(seg), "%3A", ":")
	}
	return strings.Join(segments, "/")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
