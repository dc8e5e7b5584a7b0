package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Cursors are opaque to clients: the JSON of the last item's sort key, base64url-encoded. Each
// listing decodes into its own key type, so a cursor only resumes the listing that made it.

// encodeCursor makes the next_cursor for a listing from its last item's sort key.
func encodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic("cursor key must marshal: " + err.Error()) // keys are plain structs of ours
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a next_cursor into key; "" leaves key as it is (the first page).
func decodeCursor(cursor string, key any) error {
	if cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || json.Unmarshal(b, key) != nil {
		return badRequest("Invalid next_cursor - %s", cursor)
	}
	return nil
}

// maxResults reads max_results: def when absent, at most limit, and at least 1 unless zero is
// allowed (search counts without results).
func maxResults(p *requestParams, def, limit int, allowZero bool) (int, error) {
	v := p.get("max_results")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || (n == 0 && !allowZero) {
		return 0, badRequest("Invalid max_results - %s", v)
	}
	return min(n, limit), nil
}
