package store

import (
	"strings"
	"time"
)

// searchKind is how a search field's values are written and compared.
type searchKind int

const (
	kindText    searchKind = iota // a string column: exact or prefix match
	kindTags                      // the asset's tags: exact or prefix match of one tag
	kindContext                   // a context value (context.KEY), or a context key (context)
	kindInteger                   // a whole number: bytes, width, height...
	kindFloat                     // a real number: aspect_ratio
	kindDate                      // a time, stored as Unix seconds
)

// searchField is one field of the search expression language.
type searchField struct {
	name     string
	kind     searchKind
	column   string // its SQL expression over the assets row "a" (empty for tags and context)
	sortable bool
	byteSize bool // accepts size units: bytes>1m
}

// filenameSQL is the public id after its last slash: rtrim strips every trailing character that
// is not a slash, which leaves the folder part (with its slash) whose length is skipped.
const filenameSQL = "substr(a.public_id, length(rtrim(a.public_id, replace(a.public_id, '/', ''))) + 1)"

// aspectRatioSQL is width / height as a real number; 0 for assets without dimensions.
const aspectRatioSQL = "(CASE WHEN a.height > 0 THEN CAST(a.width AS REAL) / a.height ELSE 0.0 END)"

// searchFields are the fields a search expression may name, by Cloudinary's names.
var searchFields = map[string]searchField{
	"public_id":     {kind: kindText, column: "a.public_id", sortable: true},
	"asset_id":      {kind: kindText, column: "a.asset_id", sortable: true},
	"folder":        {kind: kindText, column: "a.folder", sortable: true},
	"asset_folder":  {kind: kindText, column: "a.asset_folder", sortable: true},
	"filename":      {kind: kindText, column: filenameSQL, sortable: true},
	"display_name":  {kind: kindText, column: "a.display_name", sortable: true},
	"resource_type": {kind: kindText, column: "a.resource_type", sortable: true},
	"type":          {kind: kindText, column: "a.type", sortable: true},
	"format":        {kind: kindText, column: "a.format", sortable: true},
	"access_mode":   {kind: kindText, column: "a.access_mode", sortable: true},
	"tags":          {kind: kindTags},
	"tag":           {kind: kindTags},
	"context":       {kind: kindContext},
	"bytes":         {kind: kindInteger, column: "a.bytes", sortable: true, byteSize: true},
	"width":         {kind: kindInteger, column: "a.width", sortable: true},
	"height":        {kind: kindInteger, column: "a.height", sortable: true},
	"pages":         {kind: kindInteger, column: "a.pages", sortable: true},
	"pixels":        {kind: kindInteger, column: "(a.width * a.height)", sortable: true},
	"aspect_ratio":  {kind: kindFloat, column: aspectRatioSQL, sortable: true},
	"created_at":    {kind: kindDate, column: "a.created_at", sortable: true},
	"uploaded_at":   {kind: kindDate, column: "a.version", sortable: true}, // the version is the upload time
	"updated_at":    {kind: kindDate, column: "a.updated_at", sortable: true},
}

// lookupSearchField finds a field by name; "context.KEY" is the context field with that key.
func lookupSearchField(name string) (searchField, string, bool) {
	if key, ok := strings.CutPrefix(name, "context."); ok && key != "" {
		return searchField{name: "context", kind: kindContext}, key, true
	}
	f, ok := searchFields[name]
	f.name = name
	return f, "", ok
}

// Filename is the last segment of the public id (its part after the last slash), the search
// field "filename"; filenameSQL computes the same in queries.
func (a Asset) Filename() string {
	return a.PublicID[strings.LastIndexByte(a.PublicID, '/')+1:]
}

// UploadedAt is when the current version was uploaded (the search field "uploaded_at"): the
// version is that upload's Unix time.
func (a Asset) UploadedAt() time.Time { return time.Unix(a.Version, 0).UTC() }
