package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// ping is GET /v1_1/:cloud/ping.
func (s *Server) ping(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// detailsJSON is the Admin API's resource details: the asset plus its derived list.
type detailsJSON struct {
	assetJSON
	Derived []struct{} `json:"derived"`
}

// resourceDetails is GET /v1_1/:cloud/resources/:resource_type/:type/:public_id.
func (s *Server) resourceDetails(c echo.Context) error {
	cloud := requestCloud(c)
	publicID, err := url.PathUnescape(c.Param("*"))
	if err != nil || publicID == "" {
		return badRequest("Invalid public id")
	}
	rt, typ := c.Param("resource_type"), c.Param("type")
	a, err := s.store.Asset(c.Request().Context(), store.AssetKey{CloudID: cloud.ID, ResourceType: rt, Type: typ, PublicID: publicID})
	if errors.Is(err, store.ErrNotFound) {
		return notFound(publicID)
	}
	if err != nil {
		return err
	}
	p := &requestParams{raw: c.QueryParams()}
	out := detailsJSON{assetJSON: s.assetResponse(a, cloud), Derived: []struct{}{}}
	out.Signature, out.APIKey = "", ""
	if ok, _ := p.boolean("exif", false); ok {
		out.EXIF = nonEmpty(a.EXIF)
	}
	if ok, _ := p.boolean("image_metadata", false); ok {
		out.ImageMetadata = nonEmpty(a.EXIF)
	}
	return c.JSON(http.StatusOK, out)
}

func nonEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
