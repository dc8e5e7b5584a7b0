package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// assetAction is the shared start of the Upload API calls that act on stored assets: the path's
// resource type (never auto), the authenticated cloud and the parameters.
func (s *Server) assetAction(c echo.Context) (string, store.Cloud, *requestParams, error) {
	rt, err := pathResourceType(c, false)
	if err != nil {
		return "", store.Cloud{}, nil, err
	}
	cloud, p, err := s.uploadRequest(c)
	return rt, cloud, p, err
}

func notFound(publicID string) *apiError {
	return errorf(http.StatusNotFound, "Resource not found - %s", publicID)
}

// destroy is POST /v1_1/:cloud/:resource_type/destroy.
func (s *Server) destroy(c echo.Context) error {
	rt, cloud, p, err := s.assetAction(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	key, err := publicIDScope(p, rt, cloud)
	if err != nil {
		return err
	}
	_, _, err = s.store.DeleteAsset(c.Request().Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		return c.JSON(http.StatusOK, map[string]string{"result": "not found"})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"result": "ok"})
}

// rename is POST /v1_1/:cloud/:resource_type/rename.
func (s *Server) rename(c echo.Context) error {
	rt, cloud, p, err := s.assetAction(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	from, to := p.get("from_public_id"), p.get("to_public_id")
	if from == "" {
		return missingParam("from_public_id")
	}
	if to == "" {
		return missingParam("to_public_id")
	}
	if err := checkPublicID("to_public_id", to); err != nil {
		return err
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return err
	}
	toType := typ
	if p.get("to_type") != "" {
		if toType, err = deliveryType(p, "to_type"); err != nil {
			return err
		}
	}
	overwrite, err := p.boolean("overwrite", false)
	if err != nil {
		return err
	}
	key := store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: from}
	a, err := s.store.RenameAsset(c.Request().Context(), key, toType, to, folderOf(to), overwrite)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(from)
	case errors.Is(err, store.ErrExists):
		return badRequest("to_public_id (%s) already exists", to)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, s.assetResponse(a, cloud))
}

// tagsCommand is POST /v1_1/:cloud/:resource_type/tags.
func (s *Server) tagsCommand(c echo.Context) error {
	rt, cloud, p, err := s.assetAction(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	cmd := store.TagCommand(p.get("command"))
	switch cmd {
	case store.TagAdd, store.TagRemove, store.TagReplace, store.TagRemoveAll:
	case "":
		return missingParam("command")
	default:
		return badRequest("Invalid command - %s. Must be one of: add, remove, replace, remove_all", cmd)
	}
	tags := append(p.items("tag"), p.items("tags")...)
	if cmd != store.TagRemoveAll && len(tags) == 0 {
		return missingParam("tag")
	}
	for _, t := range tags {
		if strings.ContainsAny(t, "\x00") {
			return badRequest("Invalid tag - %q", t)
		}
	}
	ids, scope, err := publicIDsScope(p, rt, cloud)
	if err != nil {
		return err
	}
	found, err := s.store.UpdateTags(c.Request().Context(), scope, ids, cmd, tags)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]string{"public_ids": found})
}

// contextCommand is POST /v1_1/:cloud/:resource_type/context.
func (s *Server) contextCommand(c echo.Context) error {
	rt, cloud, p, err := s.assetAction(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	cmd := store.ContextCommand(p.get("command"))
	switch cmd {
	case store.ContextAdd, store.ContextRemoveAll:
	case "":
		return missingParam("command")
	default:
		return badRequest("Invalid command - %s. Must be one of: add, remove_all", cmd)
	}
	pairs := parseContext(p.get("context"))
	if cmd == store.ContextAdd && len(pairs) == 0 {
		return missingParam("context")
	}
	ids, scope, err := publicIDsScope(p, rt, cloud)
	if err != nil {
		return err
	}
	found, err := s.store.UpdateContext(c.Request().Context(), scope, ids, cmd, pairs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]string{"public_ids": found})
}

// maxBulkIDs is how many public ids one tags or context call may name, as on Cloudinary.
const maxBulkIDs = 1000

// publicIDScope reads the public_id and type of a call on one asset.
func publicIDScope(p *requestParams, rt string, cloud store.Cloud) (store.AssetKey, error) {
	id := p.get("public_id")
	if id == "" {
		return store.AssetKey{}, missingParam("public_id")
	}
	typ, err := storedType(p, "type")
	return store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: id}, err
}

// publicIDsScope reads the public_ids and type of a bulk call.
func publicIDsScope(p *requestParams, rt string, cloud store.Cloud) ([]string, store.AssetKey, error) {
	ids := p.items("public_ids")
	if len(ids) == 0 {
		return nil, store.AssetKey{}, missingParam("public_ids")
	}
	if len(ids) > maxBulkIDs {
		return nil, store.AssetKey{}, badRequest("Too many public_ids - at most %d per call", maxBulkIDs)
	}
	typ, err := storedType(p, "type")
	return ids, store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ}, err
}

// explicit is POST /v1_1/:cloud/:resource_type/explicit: it updates an existing asset's tags
// and context (each replaced when given), generates its eager variants and answers with the
// asset. A remote type's image is fetched first when it is not stored.
func (s *Server) explicit(c echo.Context) error {
	rt, cloud, p, err := s.assetAction(c)
	if err != nil {
		return err
	}
	defer p.cleanup()
	key, err := publicIDScope(p, rt, cloud)
	if err != nil {
		return err
	}
	eager, err := parseEager(p)
	if err != nil {
		return err
	}
	var update store.AssetUpdate
	if p.has("tags") {
		update.Tags = append([]string{}, p.items("tags")...)
	}
	if p.has("context") {
		update.Context = parseContext(p.get("context"))
	}
	if isRemoteType(key.Type) && rt == "image" {
		// As on Cloudinary, explicit fetches a remote image that is not stored yet.
		if _, err := s.remoteAsset(c.Request().Context(), cloud, key.Type, key.PublicID); err != nil {
			return err
		}
	}
	a, err := s.store.UpdateAsset(c.Request().Context(), key, update)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(key.PublicID)
	}
	if err != nil {
		return err
	}
	out := s.assetResponse(a, cloud)
	if out.Eager, err = s.generateEager(c.Request().Context(), cloud, a, eager); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
