package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// transformationRoutes registers the transformations API: named transformations and the
// unnamed ones derived files were made with. The SDKs name the transformation in the
// `transformation` parameter; the schema's path forms take it as the last path segment.
func (s *Server) transformationRoutes(admin *echo.Group) {
	admin.GET("/transformations", s.getTransformations)
	admin.GET("/transformations/*", s.transformationDetails) // a chained transformation holds slashes
	admin.POST("/transformations", s.createTransformation)
	admin.POST("/transformations/*", s.createTransformation)
	admin.PUT("/transformations", s.updateTransformation)
	admin.PUT("/transformations/*", s.updateTransformation)
	admin.DELETE("/transformations", s.deleteTransformation)
	admin.DELETE("/transformations/*", s.deleteTransformation)
}

// namedTransformationName is what a named transformation may be called (t_<name> in URLs).
var namedTransformationName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// transformationRef is a transformation an API call names, resolved.
type transformationRef struct {
	named  bool
	name   string // named: the name without "t_"
	def    store.NamedTransformation
	text   string          // the name answered: "t_<name>", or the canonical transformation
	chain  transform.Chain // named: the definition; unnamed: the transformation itself
	format string          // unnamed: a trailing format component, restricting the derived files
	// derivedKey is the canonical text of the chain with named transformations expanded: what
	// derived files made with it are keyed by. "" when it cannot be expanded.
	derivedKey string
}

// transformationParam is the transformation a call names: the path segment, else the
// `transformation` parameter.
func (s *Server) transformationParam(c echo.Context) (string, *requestParams, error) {
	p, err := s.adminParams(c)
	if err != nil {
		return "", nil, err
	}
	x := p.get("transformation")
	if v := c.Param("*"); v != "" {
		x = v
	}
	if x == "" {
		return "", nil, missingParam("transformation")
	}
	return x, p, nil
}

// resolveTransformation finds what x names: a named transformation (with or without "t_"),
// else a transformation string. A string that is neither is a 404.
func (s *Server) resolveTransformation(ctx context.Context, cloud store.Cloud, x string) (transformationRef, error) {
	for _, name := range []string{strings.TrimPrefix(x, "t_"), x} {
		if !namedTransformationName.MatchString(name) {
			continue
		}
		def, err := s.store.NamedTransformationByName(ctx, cloud.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return transformationRef{}, err
		}
		ref := transformationRef{named: true, name: name, def: def, text: "t_" + name}
		ref.chain, _ = transform.Parse(def.Definition)
		if expanded, err := s.expandNamed(ctx, cloud, ref.chain); err == nil {
			ref.derivedKey = expanded.Canonical()
		}
		return ref, nil
	}
	text, format := splitFormatComponent(x)
	chain, err := transform.Parse(text)
	if err != nil || (len(chain.Components) == 0 && format == "") {
		return transformationRef{}, transformationNotFound(x)
	}
	ref := transformationRef{text: chain.Canonical(), chain: chain, format: format}
	if expanded, err := s.expandNamed(ctx, cloud, chain); err == nil {
		ref.derivedKey = expanded.Canonical()
	}
	return ref, nil
}

func transformationNotFound(x string) *apiError {
	return errorf(http.StatusNotFound, "Transformation %s not found", x)
}

// describe answers allowed_for_strict and used for a resolved transformation. A transformation
// is used once a derived file was made with it as named here ("t_<name>" for a named one), and
// stays used when the files go; an unnamed one is also used while derived files made with its
// meaning (through a named transformation, say) exist, so that it can be looked up.
func (s *Server) describe(ctx context.Context, cloud store.Cloud, ref transformationRef) (allowed, used, exists bool, err error) {
	if used, err = s.store.TransformationUseRecorded(ctx, cloud.ID, ref.text); err != nil {
		return false, false, false, err
	}
	if ref.named {
		return ref.def.AllowedForStrict, used, true, nil
	}
	if !used && (ref.derivedKey != "" || ref.format != "") {
		if used, err = s.store.TransformationUsed(ctx, cloud.ID, ref.derivedKey); err != nil {
			return false, false, false, err
		}
	}
	allowed, found, err := s.store.TransformationAllowedForStrict(ctx, cloud.ID, ref.text)
	return allowed, used, used || found, err
}

// transformationItemJSON is an item of GET /transformations.
type transformationItemJSON struct {
	Name             string `json:"name"`
	AllowedForStrict bool   `json:"allowed_for_strict"`
	Used             bool   `json:"used"`
	Named            bool   `json:"named"`
}

type transformationListJSON struct {
	Transformations []transformationItemJSON `json:"transformations"`
	NextCursor      string                   `json:"next_cursor,omitempty"`
}

// getTransformations is GET /transformations: the listing, or with `transformation` the
// details of one (as the SDKs call it).
func (s *Server) getTransformations(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	if p.get("transformation") != "" {
		return s.transformationDetails(c)
	}
	cloud := requestCloud(c)
	ctx := c.Request().Context()
	q := store.TransformationQuery{CloudID: cloud.ID}
	if p.get("named") != "" {
		named, err := p.boolean("named", false)
		if err != nil {
			return err
		}
		q.Named = &named
	}
	if q.Limit, err = maxResults(p, 10, 500, false); err != nil {
		return err
	}
	if err := decodeCursor(p.get("next_cursor"), &q.After); err != nil {
		return err
	}
	items, more, err := s.store.ListTransformations(ctx, q)
	if err != nil {
		return err
	}
	out := transformationListJSON{Transformations: make([]transformationItemJSON, 0, len(items))}
	for _, it := range items {
		out.Transformations = append(out.Transformations, transformationItemJSON{Name: it.Name,
			AllowedForStrict: it.AllowedForStrict, Used: it.Used, Named: it.Named})
	}
	if more {
		out.NextCursor = encodeCursor(items[len(items)-1].Name)
	}
	return c.JSON(http.StatusOK, out)
}

// transformationDerivedJSON is an item of a transformation's derived list.
type transformationDerivedJSON struct {
	PublicID     string `json:"public_id"`
	ResourceType string `json:"resource_type"`
	Type         string `json:"type"`
	Format       string `json:"format"`
	URL          string `json:"url"`
	SecureURL    string `json:"secure_url"`
	Bytes        int64  `json:"bytes"`
	ID           string `json:"id"`
}

type transformationDetailsJSON struct {
	transformationItemJSON
	Info       []map[string]any            `json:"info"`
	Derived    []transformationDerivedJSON `json:"derived"`
	NextCursor string                      `json:"next_cursor,omitempty"`
}

// transformationDetails is GET /transformations/:transformation (or ?transformation=): the
// transformation's parameters and a page of the derived files made with it.
func (s *Server) transformationDetails(c echo.Context) error {
	x, p, err := s.transformationParam(c)
	if err != nil {
		return err
	}
	cloud := requestCloud(c)
	ctx := c.Request().Context()
	ref, err := s.resolveTransformation(ctx, cloud, x)
	if err != nil {
		return err
	}
	allowed, used, exists, err := s.describe(ctx, cloud, ref)
	if err != nil {
		return err
	}
	if !exists {
		return transformationNotFound(x)
	}
	limit, err := maxResults(p, 10, 500, false)
	if err != nil {
		return err
	}
	var after string
	if err := decodeCursor(p.get("next_cursor"), &after); err != nil {
		return err
	}
	out := transformationDetailsJSON{
		transformationItemJSON: transformationItemJSON{Name: ref.text, AllowedForStrict: allowed, Used: used, Named: ref.named},
		Info:                   transformationInfo(ref.chain),
		Derived:                []transformationDerivedJSON{},
	}
	if used {
		page, more, err := s.store.DerivedByTransformation(ctx, cloud.ID, ref.derivedKey, ref.format, after, limit)
		if err != nil {
			return err
		}
		for _, it := range page {
			u := s.derivedURL(cloud.Name, it.Asset, ref.text, it.Derived.Format)
			out.Derived = append(out.Derived, transformationDerivedJSON{PublicID: it.Asset.PublicID,
				ResourceType: it.Asset.ResourceType, Type: it.Asset.Type, Format: it.Derived.Format,
				URL: u, SecureURL: u, Bytes: it.Derived.Bytes, ID: it.Derived.ID})
		}
		if more {
			out.NextCursor = encodeCursor(page[len(page)-1].Derived.ID)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// infoNames are the SDKs' long names of URL parameters, for a transformation's `info`.
var infoNames = map[string]string{
	"w": "width", "h": "height", "ar": "aspect_ratio", "c": "crop", "g": "gravity", "x": "x", "y": "y",
	"z": "zoom", "dpr": "dpr", "q": "quality", "f": "fetch_format", "r": "radius", "a": "angle",
	"e": "effect", "o": "opacity", "bo": "border", "b": "background", "co": "color", "l": "overlay",
	"u": "underlay", "d": "default_image", "pg": "page", "fl": "flags", "t": "transformation",
}

// transformationInfo describes each component of a chain as an object of long parameter names,
// numbers as JSON numbers.
func transformationInfo(chain transform.Chain) []map[string]any {
	out := make([]map[string]any, 0, len(chain.Components))
	for _, comp := range chain.Components {
		m := map[string]any{}
		for _, param := range strings.Split(comp.Canonical(), ",") {
			key, value, ok := strings.Cut(param, "_")
			if !ok {
				continue
			}
			name := infoNames[key]
			if name == "" {
				name = key
			}
			if _, err := strconv.ParseFloat(value, 64); err == nil {
				m[name] = json.Number(value)
			} else {
				m[name] = value
			}
		}
		out = append(out, m)
	}
	return out
}

// createTransformation is POST /transformations (name in `name`) or POST
// /transformations/:name, with the definition in `transformation`.
func (s *Server) createTransformation(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	name := p.get("name")
	if v := c.Param("*"); v != "" {
		name = v
	}
	if name == "" {
		return missingParam("name")
	}
	if err := checkTransformationName(name); err != nil {
		return err
	}
	definition := p.get("transformation")
	if definition == "" {
		return missingParam("transformation")
	}
	cloud := requestCloud(c)
	ctx := c.Request().Context()
	canonical, err := s.checkDefinition(ctx, cloud, name, definition)
	if err != nil {
		return err
	}
	// Named transformations are allowed under strict transformations unless told otherwise, as
	// on Cloudinary.
	allowed, err := p.boolean("allowed_for_strict", true)
	if err != nil {
		return err
	}
	err = s.store.CreateNamedTransformation(ctx, cloud.ID, store.NamedTransformation{Name: name, Definition: canonical, AllowedForStrict: allowed})
	if errors.Is(err, store.ErrExists) {
		return errorf(http.StatusConflict, "Transformation with that name already exists")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "created"})
}

// checkTransformationName refuses names t_ cannot refer to, and names that are themselves
// transformation strings (which lookups would confuse with the string).
func checkTransformationName(name string) error {
	if !namedTransformationName.MatchString(name) {
		return badRequest("Invalid name - %s (letters, digits, _ and - only)", name)
	}
	if _, err := transform.Parse(name); err == nil {
		return badRequest("Invalid name - %s (it is a transformation string)", name)
	}
	return nil
}

// checkDefinition parses a named transformation's definition and expands the names it uses, as
// if name were already defined by it (so that a cycle through name is refused), and returns
// its canonical text.
func (s *Server) checkDefinition(ctx context.Context, cloud store.Cloud, name, definition string) (string, error) {
	chain, err := transform.Parse(definition)
	if err != nil {
		return "", transformError(err)
	}
	if len(chain.Components) == 0 {
		return "", badRequest("Invalid transformation - %s", definition)
	}
	canonical := chain.Canonical()
	_, err = chain.Expand(func(n string) (string, bool) {
		if n == name {
			return canonical, true
		}
		t, err := s.store.NamedTransformationByName(ctx, cloud.ID, n)
		return t.Definition, err == nil
	})
	if err != nil {
		return "", transformError(err)
	}
	return canonical, nil
}

// updateTransformation is PUT /transformations(/:transformation): allowed_for_strict for a named
// or an unnamed transformation, unsafe_update (a new definition) for a named one. Derived files
// already made are kept: a new definition applies to files made from now on.
func (s *Server) updateTransformation(c echo.Context) error {
	x, p, err := s.transformationParam(c)
	if err != nil {
		return err
	}
	cloud := requestCloud(c)
	ctx := c.Request().Context()
	ref, err := s.resolveTransformation(ctx, cloud, x)
	if err != nil {
		return err
	}
	var allowed *bool
	if p.get("allowed_for_strict") != "" {
		b, err := p.boolean("allowed_for_strict", false)
		if err != nil {
			return err
		}
		allowed = &b
	}
	unsafe := p.get("unsafe_update")
	if !ref.named {
		if unsafe != "" {
			return badRequest("unsafe_update applies to named transformations only")
		}
		if allowed != nil {
			if err := s.store.SetTransformationAllowedForStrict(ctx, cloud.ID, ref.text, *allowed); err != nil {
				return err
			}
		}
		return c.JSON(http.StatusOK, map[string]string{"message": "updated"})
	}
	u := store.NamedTransformationUpdate{AllowedForStrict: allowed}
	if unsafe != "" {
		canonical, err := s.checkDefinition(ctx, cloud, ref.name, unsafe)
		if err != nil {
			return err
		}
		u.Definition = &canonical
	}
	err = s.store.UpdateNamedTransformation(ctx, cloud.ID, ref.name, u)
	if errors.Is(err, store.ErrNotFound) {
		return transformationNotFound(x)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "updated"})
}

// deleteTransformation is DELETE /transformations(/:transformation): the named definition (when
// named), the settings, and every derived file made with the transformation.
func (s *Server) deleteTransformation(c echo.Context) error {
	x, p, err := s.transformationParam(c)
	if err != nil {
		return err
	}
	if _, err := p.boolean("invalidate", false); err != nil {
		return err
	}
	cloud := requestCloud(c)
	ctx := c.Request().Context()
	ref, err := s.resolveTransformation(ctx, cloud, x)
	if err != nil {
		return err
	}
	d := store.TransformationDelete{CloudID: cloud.ID, Derived: ref.derivedKey}
	if ref.named {
		d.Named = ref.name
	} else {
		_, _, exists, err := s.describe(ctx, cloud, ref)
		if err != nil {
			return err
		}
		if !exists {
			return transformationNotFound(x)
		}
		d.Setting = ref.text
	}
	if _, err := s.store.DeleteTransformation(ctx, d); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message": "deleted"})
}

// unnamedAllowedForStrict says whether the transformation a delivery URL asks for (before named
// transformations are expanded) is an unnamed transformation marked allowed_for_strict.
func (s *Server) unnamedAllowedForStrict(ctx context.Context, cloud store.Cloud, requested transform.Chain) bool {
	if len(requested.Components) == 0 {
		return false
	}
	allowed, _, err := s.store.TransformationAllowedForStrict(ctx, cloud.ID, requested.Canonical())
	return err == nil && allowed
}
