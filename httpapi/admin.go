package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// adminParams reads an Admin API call's parameters: the query string, and for POST, PUT and
// DELETE the form or JSON body (npm sends DELETE parameters as a form body).
// The body is read once; later calls for the same request return the same parameters.
func (s *Server) adminParams(c echo.Context) (*requestParams, error) {
	const key = "cloudlet.params"
	if p, ok := c.Get(key).(*requestParams); ok {
		return p, nil
	}
	p, err := readParams(c.Request(), c.Response(), paramLimits{maxFileBytes: maxFieldBytes})
	if err != nil {
		return nil, err
	}
	c.Set(key, p)
	return p, nil
}

// ping is GET /v1_1/:cloud/ping.
func (s *Server) ping(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
