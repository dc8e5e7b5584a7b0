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
	Derived []derivedJSON `json:"derived"`
}

// derivedJSON is an item of a resource's derived list.
type derivedJSON struct {
	Transformation string `json:"transformation"`
	Format         string `json:"format"`
	Bytes          int64  `json:"bytes"`
	ID             string `json:"id"`
	URL            string `json:"url"`
	SecureURL      string `json:"secure_url"`
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
	derived, err := s.store.DerivedOf(c.Request().Context(), a)
	if err != nil {
		return err
	}
	p := &requestParams{raw: c.QueryParams()}
	out := detailsJSON{assetJSON: s.assetResponse(a, cloud), Derived: make([]derivedJSON, 0, len(derived))}
	for _, d := range derived {
		u := s.derivedURL(cloud.Name, a, d.Transformation, d.Format)
		out.Derived = append(out.Derived, derivedJSON{Transformation: d.Transformation, Format: d.Format,
			Bytes: d.Bytes, ID: d.ID, URL: u, SecureURL: u})
	}
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
