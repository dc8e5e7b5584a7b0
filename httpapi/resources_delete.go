package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
	"cloudlet/transform"
)

// deleteRoutes registers the bulk deletes of originals and derived files. Echo matches the
// static "tags" segment before :type, and DELETE /resources with no more path is its own route.
func (s *Server) deleteRoutes(admin *echo.Group) {
	admin.DELETE("/resources", s.deleteByAssetIDs)
	admin.DELETE("/resources/:resource_type/tags/*", s.deleteByTag)
	admin.DELETE("/resources/:resource_type/:type", s.deleteResources)
	admin.DELETE("/derived_resources", s.deleteDerivedResources)
}

// maxDeleteIDs is how many public ids, asset ids or derived ids one delete call may name.
const maxDeleteIDs = 100

// deletedCountJSON is what a delete removed from one original.
type deletedCountJSON struct {
	Original int `json:"original"`
	Derived  int `json:"derived"`
}

// bulkDeleteJSON is the answer of the resource deletes, keyed by public id (or asset id).
type bulkDeleteJSON struct {
	Deleted       map[string]string           `json:"deleted"`
	DeletedCounts map[string]deletedCountJSON `json:"deleted_counts"`
	Partial       bool                        `json:"partial"`
	NextCursor    string                      `json:"next_cursor,omitempty"`
}

// deleteResources is DELETE /resources/:resource_type/:type with exactly one of public_ids,
// prefix or all=true.
func (s *Server) deleteResources(c echo.Context) error {
	rt := c.Param("resource_type")
	if err := checkResourceType(rt); err != nil {
		return err
	}
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	q := store.BulkDelete{CloudID: requestCloud(c).ID, ResourceType: rt, Type: c.Param("type")}
	ids := p.items("public_ids")
	q.Prefix = p.get("prefix")
	if q.All, err = p.boolean("all", false); err != nil {
		return err
	}
	selectors := 0
	for _, given := range []bool{len(ids) > 0, q.Prefix != "", q.All} {
		if given {
			selectors++
		}
	}
	if selectors != 1 {
		return badRequest("Must specify exactly one of public_ids, prefix or all")
	}
	if len(ids) > maxDeleteIDs {
		return badRequest("Too many public_ids - at most %d", maxDeleteIDs)
	}
	q.PublicIDs = ids
	return s.runBulkDelete(c, p, q, ids, func(d store.DeletedOriginal) string { return d.PublicID })
}

// deleteByAssetIDs is DELETE /resources with asset_ids.
func (s *Server) deleteByAssetIDs(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	ids := p.items("asset_ids")
	if len(ids) == 0 {
		return missingParam("asset_ids")
	}
	if len(ids) > maxDeleteIDs {
		return badRequest("Too many asset_ids - at most %d", maxDeleteIDs)
	}
	q := store.BulkDelete{CloudID: requestCloud(c).ID, AssetIDs: ids}
	return s.runBulkDelete(c, p, q, ids, func(d store.DeletedOriginal) string { return d.AssetID })
}

// deleteByTag is DELETE /resources/:resource_type/tags/:tag.
func (s *Server) deleteByTag(c echo.Context) error {
	rt := c.Param("resource_type")
	if err := checkResourceType(rt); err != nil {
		return err
	}
	tag := c.Param("*")
	if tag == "" {
		return badRequest("Invalid tag")
	}
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	q := store.BulkDelete{CloudID: requestCloud(c).ID, ResourceType: rt, Tag: tag}
	return s.runBulkDelete(c, p, q, nil, func(d store.DeletedOriginal) string { return d.PublicID })
}

// runBulkDelete reads the options every resource delete shares (keep_original, transformations,
// next_cursor; invalidate is accepted and has nothing to purge here), runs one call's worth of
// the delete and answers it. named are the ids the request listed, answered "not_found" when
// nothing matched them; key names an original in the answer.
func (s *Server) runBulkDelete(c echo.Context, p *requestParams, q store.BulkDelete, named []string, key func(store.DeletedOriginal) string) error {
	var err error
	if q.KeepOriginal, err = p.boolean("keep_original", false); err != nil {
		return err
	}
	if _, err = p.boolean("invalidate", false); err != nil {
		return err
	}
	if q.Derived, err = s.derivedMatches(c.Request().Context(), requestCloud(c), p.list("transformations")); err != nil {
		return err
	}
	if err := decodeCursor(p.get("next_cursor"), &q.After); err != nil {
		return err
	}
	res, err := s.store.DeleteAssets(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := bulkDeleteJSON{Deleted: map[string]string{}, DeletedCounts: map[string]deletedCountJSON{}, Partial: res.Partial}
	for _, id := range named {
		out.Deleted[id] = "not_found"
		out.DeletedCounts[id] = deletedCountJSON{}
	}
	for _, d := range res.Deleted {
		k := key(d)
		n := out.DeletedCounts[k] // one public id may be found under several types (by tag)
		n.Original += d.Original
		n.Derived += d.Derived
		out.Deleted[k], out.DeletedCounts[k] = "deleted", n
	}
	if res.Partial {
		out.NextCursor = encodeCursor(res.Next)
	}
	return c.JSON(http.StatusOK, out)
}

// derivedMatches reads `transformations`: eager-style items joined by "|", each a transformation
// that may end with a bare format component ("c_fill,w_100/jpg"). Named transformations are
// expanded, since derived files are keyed by what they expand to.
func (s *Server) derivedMatches(ctx context.Context, cloud store.Cloud, values []string) ([]store.DerivedMatch, error) {
	var out []store.DerivedMatch
	for _, v := range values {
		for _, item := range strings.Split(v, "|") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			text, format := splitFormatComponent(item)
			chain, err := transform.Parse(text)
			if err != nil {
				return nil, transformError(err)
			}
			if chain, err = s.expandNamed(ctx, cloud, chain); err != nil {
				return nil, err
			}
			out = append(out, store.DerivedMatch{Transformation: chain.Canonical(), Format: format})
		}
	}
	return out, nil
}

// splitFormatComponent splits a trailing bare format component off an eager-style item:
// "c_fill,w_100/png" is ("c_fill,w_100", "png"), "png" is ("", "png").
func splitFormatComponent(item string) (text, format string) {
	last := item[strings.LastIndexByte(item, '/')+1:]
	if !transform.CanWrite(transform.NormalizeFormat(last)) {
		return item, ""
	}
	return strings.TrimSuffix(strings.TrimSuffix(item, last), "/"), transform.NormalizeFormat(last)
}

// deleteDerivedResources is DELETE /derived_resources with derived_resource_ids.
func (s *Server) deleteDerivedResources(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	ids := p.items("derived_resource_ids")
	if len(ids) == 0 {
		return missingParam("derived_resource_ids")
	}
	if len(ids) > maxDeleteIDs {
		return badRequest("Too many derived_resource_ids - at most %d", maxDeleteIDs)
	}
	if _, err = p.boolean("invalidate", false); err != nil {
		return err
	}
	found, err := s.store.DeleteDerivedByID(c.Request().Context(), requestCloud(c).ID, ids)
	if err != nil {
		return err
	}
	out := map[string]string{}
	for _, id := range ids {
		out[id] = "not_found"
	}
	for _, id := range found {
		out[id] = "deleted"
	}
	return c.JSON(http.StatusOK, map[string]map[string]string{"deleted": out})
}
