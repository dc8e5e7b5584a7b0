package httpapi

import (
	"crypto/rand"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const maxPublicIDBytes = 255

// checkPublicID refuses public ids that could not be stored or served safely.
func checkPublicID(name, id string) error {
	if strings.HasPrefix(id, "/") {
		return badRequest("Invalid %s - it may not start with /", name)
	}
	return checkSlashedName(name, id)
}

// checkSlashedName refuses a slash-separated name (a public id, a folder path) that is empty,
// longer than a public id may be, not UTF-8, or holds control characters, backslashes, or "."
// or ".." segments.
func checkSlashedName(name, id string) error {
	switch {
	case id == "":
		return badRequest("Invalid %s - it is empty", name)
	case len(id) > maxPublicIDBytes:
		return badRequest("Invalid %s - longer than %d bytes", name, maxPublicIDBytes)
	case !utf8.ValidString(id):
		return badRequest("Invalid %s - not valid UTF-8", name)
	}
	for _, r := range id {
		if r == 0 || unicode.IsControl(r) {
			return badRequest("Invalid %s - it may not contain control characters", name)
		}
		if r == '\\' {
			return badRequest("Invalid %s - it may not contain backslashes", name)
		}
		if isBidiControl(r) {
			return badRequest("Invalid %s - it may not contain bidirectional text controls", name)
		}
	}
	for _, seg := range strings.Split(id, "/") {
		if isDotSegment(seg) {
			return badRequest("Invalid %s - it may not contain . or .. segments", name)
		}
	}
	return nil
}

// isDotSegment says whether a path segment means "here" or "up" to something downstream: as
// written, once percent-decoded (%2e%2e), or once Unicode-compatibility-normalised (fullwidth
// "．．", the one-dot leader "․", the two-dot leader "‥").
func isDotSegment(seg string) bool {
	forms := []string{seg, norm.NFKC.String(seg)}
	if decoded, err := url.PathUnescape(seg); err == nil {
		forms = append(forms, decoded, norm.NFKC.String(decoded))
	}
	for _, f := range forms {
		if f == "." || f == ".." {
			return true
		}
	}
	return false
}

// randomID returns n random lowercase alphanumerics, the shape of Cloudinary's generated ids.
func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// filenameID makes a public id from an uploaded file's name: the base name, without its extension
// unless keepExt (raw files keep theirs), with characters that are awkward in URLs replaced by _.
func filenameID(filename string, keepExt bool) string {
	base := path.Base(strings.ReplaceAll(filename, `\`, "/"))
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '_'
		}, s)
	}
	stem = clean(stem)
	if stem == "" || stem == "." || stem == ".." {
		stem = "file"
	}
	if keepExt {
		return stem + clean(ext)
	}
	return stem
}

// joinFolder puts id inside folder (Cloudinary's fixed-folder mode: the folder prefixes the id).
func joinFolder(folder, id string) string {
	folder = strings.Trim(folder, "/")
	if folder == "" {
		return id
	}
	return folder + "/" + id
}

// folderOf is the folder part of a public id ("" at the root).
func folderOf(publicID string) string {
	if i := strings.LastIndexByte(publicID, '/'); i >= 0 {
		return publicID[:i]
	}
	return ""
}
