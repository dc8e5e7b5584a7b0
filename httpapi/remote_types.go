package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// remoteTypeNames are the delivery types whose originals cloudlet fetches from elsewhere on
// first request, by their Cloudinary names: fetch (the public id is the remote URL) and the
// social profile-picture types (the public id is a user id, a user name or an e-mail's hash).
var remoteTypeNames = []string{"fetch", "facebook", "twitter", "twitter_name", "gravatar"}

// isRemoteType says whether typ is one of remoteTypeNames.
func isRemoteType(typ string) bool {
	for _, t := range remoteTypeNames {
		if typ == t {
			return true
		}
	}
	return false
}

// idSlot marks where a social type's template takes the public id.
const idSlot = "{id}"

// RemoteType is one configured remote delivery type: for fetch, a URL prefix that fetched URLs
// must start with (Cloudinary's "allowed fetch domains"; "https://" allows every https URL); for
// a social type, the origin URL with {id} where the public id goes. Make one with
// ParseRemoteType.
type RemoteType struct {
	Type     string // fetch, facebook, twitter, twitter_name or gravatar
	Template string // as configured

	prefix *url.URL // fetch: the allowed prefix
	before string   // social: the template before {id}
	after  string   // social: the template after {id}
	query  bool     // social: {id} is in the query string, so it is query-escaped
}

// ParseRemoteType reads TYPE=TEMPLATE, e.g.
// "gravatar=https://www.gravatar.com/avatar/{id}?s=512&d=404" or "fetch=https://cdn.example.com/".
func ParseRemoteType(spec string) (RemoteType, error) {
	name, tmpl, ok := strings.Cut(spec, "=")
	if !ok || tmpl == "" {
		return RemoteType{}, fmt.Errorf("remote type %q is not TYPE=TEMPLATE", spec)
	}
	if !isRemoteType(name) {
		return RemoteType{}, fmt.Errorf("remote type %q is not one of %s", name, strings.Join(remoteTypeNames, ", "))
	}
	rt := RemoteType{Type: name, Template: tmpl}
	if name == "fetch" {
		return rt, rt.parsePrefix()
	}
	return rt, rt.parseTemplate()
}

// parsePrefix checks a fetch prefix: an http(s) URL, with or without host and path.
func (rt *RemoteType) parsePrefix() error {
	u, err := url.Parse(rt.Template)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "":
		return fmt.Errorf("fetch prefix %q is not an http:// or https:// URL", rt.Template)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Contains(rt.Template, idSlot):
		return fmt.Errorf("fetch prefix %q may hold only a scheme, a host and a path", rt.Template)
	case u.Host == "" && u.Path != "":
		return fmt.Errorf("fetch prefix %q has a path but no host", rt.Template)
	}
	rt.prefix = u
	return nil
}

// parseTemplate checks a social type's origin template: an http(s) URL with a host and exactly
// one {id}, in its path or its query.
func (rt *RemoteType) parseTemplate() error {
	if strings.Count(rt.Template, idSlot) != 1 {
		return fmt.Errorf("%s template %q needs exactly one %s", rt.Type, rt.Template, idSlot)
	}
	rt.before, rt.after, _ = strings.Cut(rt.Template, idSlot)
	u, err := url.Parse(rt.before + "id" + rt.after)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%s template %q is not an http(s) URL with a host", rt.Type, rt.Template)
	}
	// The id must go after the host: in the path or the query, never where it could name
	// another server.
	if !strings.Contains(strings.TrimPrefix(rt.before, u.Scheme+"://"), "/") && !strings.Contains(rt.before, "?") {
		return fmt.Errorf("%s template %q puts %s before the path", rt.Type, rt.Template, idSlot)
	}
	rt.query = strings.Contains(rt.before, "?")
	return nil
}

// remoteOrigins are the configured remote types, by name.
type remoteOrigins map[string][]RemoteType

func newRemoteOrigins(types []RemoteType) remoteOrigins {
	o := remoteOrigins{}
	for _, rt := range types {
		o[rt.Type] = append(o[rt.Type], rt)
	}
	return o
}

// errTypeRestricted is Cloudinary's answer for a delivery type the account does not allow.
func errTypeRestricted(typ string) *apiError {
	return errorf(http.StatusUnauthorized, "Images of type %s are restricted in this account", typ)
}

// originURL is where the asset publicID of type typ comes from. A type that is not configured,
// and a fetch URL outside every allowed prefix, are restricted (401); an id that cannot name a
// remote image is a 400.
func (o remoteOrigins) originURL(typ, publicID string) (string, error) {
	types := o[typ]
	if len(types) == 0 {
		return "", errTypeRestricted(typ)
	}
	if typ == "fetch" {
		return fetchURL(types, publicID)
	}
	if err := checkSocialID(publicID); err != nil {
		return "", err
	}
	rt := types[0]
	escaped := url.PathEscape(publicID)
	if rt.query {
		escaped = url.QueryEscape(publicID)
	}
	return rt.before + escaped + rt.after, nil
}

// checkSocialID refuses ids that could step outside their slot of the template: escaping keeps
// "/", "?" and "#" inside it, but "." and ".." are path segments a server would resolve.
func checkSocialID(id string) error {
	switch {
	case id == "" || id == "." || id == "..":
		return badRequest("Invalid public id - %q", id)
	case len(id) > maxPublicIDBytes:
		return badRequest("Invalid public id - longer than %d bytes", maxPublicIDBytes)
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return badRequest("Invalid public id - it may not contain control characters")
	}
	return nil
}

// maxFetchURLBytes bounds the remote URL a fetch public id may be.
const maxFetchURLBytes = 2048

// fetchURL checks a fetch public id: an absolute http(s) URL without credentials or dot
// segments, starting with one of the allowed prefixes (same scheme, same host, path prefix).
func fetchURL(allowed []RemoteType, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
		len(raw) > maxFetchURLBytes || strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return "", badRequest("Invalid fetch URL - %s", raw)
	}
	if u.User != nil {
		return "", badRequest("Invalid fetch URL - credentials are not allowed - %s", raw)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return "", badRequest("Invalid fetch URL - it may not contain . or .. segments - %s", raw)
		}
	}
	for _, rt := range allowed {
		p := rt.prefix
		if p.Scheme == u.Scheme && (p.Host == "" || strings.EqualFold(p.Host, u.Host)) &&
			strings.HasPrefix(u.EscapedPath(), p.EscapedPath()) {
			return raw, nil
		}
	}
	return "", errorf(http.StatusUnauthorized, "Images of type fetch are restricted in this account - %s is not an allowed fetch URL", raw)
}
