package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// presetRoutes registers the Admin API's upload presets.
func (s *Server) presetRoutes(admin *echo.Group) {
	admin.GET("/upload_presets", s.listPresets)
	admin.POST("/upload_presets", s.createPreset)
	admin.GET("/upload_presets/:name", s.getPreset)
	admin.PUT("/upload_presets/:name", s.updatePreset)
	admin.DELETE("/upload_presets/:name", s.deletePreset)
}

// unsignedAllowed are the parameters an unsigned upload may set itself, in the order of
// Cloudinary's error message; everything else must come from the preset.
var unsignedAllowed = []string{"upload_preset", "callback", "public_id", "folder", "asset_folder", "tags",
	"context", "metadata", "face_coordinates", "custom_coordinates", "source", "filename_override",
	"manifest_transformation", "manifest_json", "template", "template_vars", "regions", "public_id_prefix"}

// unsignedIgnored are what SDKs send with an unsigned upload that sets nothing: the file, the
// credentials some SDKs add anyway, cloudinary-go's `unsigned` flag and its resource_type field.
var unsignedIgnored = map[string]bool{"file": true, "api_key": true, "timestamp": true, "unsigned": true,
	"resource_type": true, "cloud_name": true}

// presetFields are the preset's own fields in create and update calls; never settings.
var presetFields = map[string]bool{"name": true, "unsigned": true, "disallow_public_id": true, "live": true}

// notSettings are request parameters that never become a preset setting: credentials, the
// SDKs' bookkeeping and the listing parameters.
var notSettings = map[string]bool{"upload_preset": true, "file": true, "api_key": true, "timestamp": true,
	"signature": true, "signature_algorithm": true, "cloud_name": true, "resource_type": true,
	"max_results": true, "next_cursor": true}

// booleanSettings are upload parameters that are booleans: stored as true/false and shown as
// JSON booleans.
var booleanSettings = map[string]bool{"use_filename": true, "unique_filename": true, "overwrite": true,
	"use_filename_as_display_name": true, "use_asset_folder_as_public_id_prefix": true,
	"unique_display_name": true, "async": true, "backup": true, "eager_async": true, "exif": true,
	"faces": true, "colors": true, "image_metadata": true, "media_metadata": true, "phash": true,
	"invalidate": true, "return_delete_token": true, "discard_original_filename": true,
	"quality_analysis": true, "accessibility_analysis": true, "cinemagraph_analysis": true,
	"visual_search": true, "auto_chaptering": true}

// authorizeUpload authenticates an Upload API call. An upload — and nothing else — naming an
// upload_preset gets the preset's settings as defaults under its own parameters, merged into
// the parameters before the upload reads them. With an unsigned preset the upload may come
// without a signature; it may then set only the parameters Cloudinary allows unsigned uploads,
// and never overwrites an existing asset. An upload with no credentials and no preset is refused
// the way Cloudinary refuses it: as an unsigned upload without its preset.
func (s *Server) authorizeUpload(c echo.Context, p *requestParams, cloud store.Cloud) error {
	name := p.get("upload_preset")
	isUpload := strings.HasSuffix(c.Path(), "/upload")
	_, _, basic := c.Request().BasicAuth()
	unsigned := !basic && p.get("signature") == ""
	if isUpload && name == "" && unsigned && p.get("api_key") == "" {
		// No credentials at all: Cloudinary takes this for an unsigned upload missing its preset.
		return badRequest("Upload preset must be specified when using unsigned upload")
	}
	if name == "" || !isUpload {
		return checkUploadAuth(c.Request(), p, cloud, s.now())
	}
	if !unsigned {
		if err := checkUploadAuth(c.Request(), p, cloud, s.now()); err != nil {
			return err
		}
	}
	preset, err := s.store.UploadPresetByName(c.Request().Context(), cloud.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return badRequest("Upload preset not found")
	}
	if err != nil {
		return err
	}
	if unsigned {
		if !preset.Unsigned {
			return errorf(http.StatusUnauthorized, "Upload preset must be whitelisted for unsigned uploads")
		}
		if err := checkUnsignedParams(p); err != nil {
			return err
		}
	}
	if preset.DisallowPublicID && p.get("public_id") != "" {
		return badRequest("Public_id parameter is not allowed when using upload preset %s", name)
	}
	for k, v := range preset.Settings {
		if !p.has(k) {
			p.raw[k] = []string{v}
		}
	}
	if unsigned {
		p.raw["overwrite"] = []string{"false"}
	}
	return nil
}

// checkUnsignedParams refuses an unsigned upload that sets a parameter only a preset may set.
func checkUnsignedParams(p *requestParams) error {
	names := make([]string, 0, len(p.raw))
	for k := range p.raw {
		names = append(names, paramBase(k))
	}
	sort.Strings(names)
	for _, name := range names {
		if unsignedIgnored[name] || contains(unsignedAllowed, name) {
			continue
		}
		return badRequest("%s parameter is not allowed when using unsigned upload. Only %s upload parameters are allowed.",
			capitalize(name), strings.Join(unsignedAllowed, ","))
	}
	return nil
}

// paramBase is a parameter's name without an array suffix: tags[] and tags[0] are tags.
func paramBase(key string) string {
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		return key[:i]
	}
	return key
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// presetJSON is an upload preset as the Admin API shows it.
type presetJSON struct {
	Name     string         `json:"name"`
	Unsigned bool           `json:"unsigned"`
	Settings map[string]any `json:"settings"`
}

func renderPreset(p store.UploadPreset) presetJSON {
	settings := make(map[string]any, len(p.Settings)+2)
	for k, v := range p.Settings {
		if booleanSettings[k] {
			settings[k] = v == "true"
		} else {
			settings[k] = v
		}
	}
	if p.DisallowPublicID {
		settings["disallow_public_id"] = true
	}
	if p.Live {
		settings["live"] = true
	}
	return presetJSON{Name: p.Name, Unsigned: p.Unsigned, Settings: settings}
}

type presetCursor struct {
	Name string `json:"n"`
}

// listPresets is GET /upload_presets: presets in name order, keyset-paged.
func (s *Server) listPresets(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	limit, err := maxResults(p, 10, 500, false)
	if err != nil {
		return err
	}
	var after presetCursor
	if err := decodeCursor(p.get("next_cursor"), &after); err != nil {
		return err
	}
	page, more, err := s.store.ListUploadPresets(c.Request().Context(), requestCloud(c).ID, after.Name, limit)
	if err != nil {
		return err
	}
	out := struct {
		Presets    []presetJSON `json:"presets"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}{Presets: make([]presetJSON, len(page))}
	for i, preset := range page {
		out.Presets[i] = renderPreset(preset)
	}
	if more {
		out.NextCursor = encodeCursor(presetCursor{Name: page[len(page)-1].Name})
	}
	return c.JSON(http.StatusOK, out)
}

// checkPresetName refuses names that could not travel in the /upload_presets/<name> path.
func checkPresetName(name string) error {
	if len(name) > 255 {
		return badRequest("Invalid name - longer than 255 characters")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return badRequest("Invalid name - %s. Use letters, digits, _, - and . only", name)
		}
	}
	return nil
}

// createPreset is POST /upload_presets.
func (s *Server) createPreset(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	preset := store.UploadPreset{Name: p.get("name"), Settings: map[string]string{}}
	if preset.Name == "" {
		preset.Name = randomID(8)
	}
	if err := checkPresetName(preset.Name); err != nil {
		return err
	}
	if err := readPresetFields(p, &preset); err != nil {
		return err
	}
	if _, err := s.store.CreateUploadPreset(c.Request().Context(), requestCloud(c).ID, preset); errors.Is(err, store.ErrExists) {
		return errorf(http.StatusConflict, "Upload preset %s already exists", preset.Name)
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "created", "name": preset.Name})
}

func presetNotFound(name string) error {
	return errorf(http.StatusNotFound, "Upload preset %s not found", name)
}

// getPreset is GET /upload_presets/:name.
func (s *Server) getPreset(c echo.Context) error {
	name := c.Param("name")
	preset, err := s.store.UploadPresetByName(c.Request().Context(), requestCloud(c).ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return presetNotFound(name)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, renderPreset(preset))
}

// updatePreset is PUT /upload_presets/:name: the fields and settings given replace the stored
// ones, a setting given empty is removed, the rest stays.
func (s *Server) updatePreset(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	_, err = s.store.UpdateUploadPreset(c.Request().Context(), requestCloud(c).ID, name, func(preset *store.UploadPreset) error {
		return readPresetFields(p, preset)
	})
	if errors.Is(err, store.ErrNotFound) {
		return presetNotFound(name)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "updated"})
}

// deletePreset is DELETE /upload_presets/:name.
func (s *Server) deletePreset(c echo.Context) error {
	name := c.Param("name")
	err := s.store.DeleteUploadPreset(c.Request().Context(), requestCloud(c).ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return presetNotFound(name)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "deleted"})
}

// readPresetFields applies a create or update call's parameters to a preset: its flags when
// given, and every other upload parameter as a setting in its wire form (an empty value
// removes the setting).
func readPresetFields(p *requestParams, preset *store.UploadPreset) error {
	for _, f := range []struct {
		dst  *bool
		name string
	}{{&preset.Unsigned, "unsigned"}, {&preset.DisallowPublicID, "disallow_public_id"}, {&preset.Live, "live"}} {
		if p.get(f.name) == "" {
			continue
		}
		v, err := p.boolean(f.name, false)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	seen := map[string]bool{}
	for key := range p.raw {
		name := paramBase(key)
		if seen[name] || presetFields[name] || notSettings[name] {
			continue
		}
		seen[name] = true
		v, err := settingValue(p, name)
		if err != nil {
			return err
		}
		if v == "" {
			delete(preset.Settings, name)
		} else {
			preset.Settings[name] = v
		}
	}
	return nil
}

// settingValue is an upload parameter in the form an upload request would carry it, whichever
// encoding the Admin call used (form arrays, JSON arrays and objects, comma-joined strings).
func settingValue(p *requestParams, name string) (string, error) {
	switch {
	case booleanSettings[name]:
		if p.get(name) == "" {
			return "", nil
		}
		b, err := p.boolean(name, false)
		if err != nil {
			return "", err
		}
		if b {
			return "true", nil
		}
		return "false", nil
	case name == "tags" || name == "allowed_formats":
		return strings.Join(p.items(name), ","), nil
	case name == "eager":
		items := p.list(name)
		for _, item := range items {
			if strings.HasPrefix(strings.TrimSpace(item), "{") {
				return "", badRequest("Invalid eager - give transformation strings, e.g. c_fill,w_100|w_200")
			}
		}
		return strings.Join(items, "|"), nil
	case name == "context" || name == "metadata":
		return contextWire(p.get(name)), nil
	default:
		return strings.Join(p.list(name), ","), nil
	}
}

// contextWire turns a JSON object (sent by JSON clients) into the k=v|k2=v2 wire form, with
// = and | in values escaped as the SDKs do; anything else is already in wire form.
func contextWire(v string) string {
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		return v
	}
	var m map[string]any
	if json.Unmarshal([]byte(v), &m) != nil {
		return v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	esc := strings.NewReplacer(`\`, `\\`, "=", `\=`, "|", `\|`)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = esc.Replace(k) + "=" + esc.Replace(jsonScalar(m[k]))
	}
	return strings.Join(pairs, "|")
}
