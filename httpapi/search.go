package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// searchRoutes registers the Search API: POST with a JSON body (what the SDKs send) or GET with
// query parameters, under /resources/search and /search.
func (s *Server) searchRoutes(admin *echo.Group) {
	for _, path := range []string{"/resources/search", "/search"} {
		admin.GET(path, s.search)
		admin.POST(path, s.search)
	}
}

// searchRequest is a decoded search call.
type searchRequest struct {
	query  store.SearchQuery
	cursor string // next_cursor as sent
	output searchOutput
}

// search answers a search: the total count, one page of results and the aggregations asked for.
func (s *Server) search(c echo.Context) error {
	cloud := requestCloud(c)
	req, err := s.readSearch(c, cloud)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := s.store.Search(c.Request().Context(), req.query)
	if errors.Is(err, store.ErrSearchCursor) {
		return badRequest("Invalid next_cursor - %s", req.cursor)
	}
	if err != nil {
		return err
	}
	out := searchJSON{TotalCount: res.Total, Time: time.Since(start).Milliseconds(),
		Resources: make([]any, 0, len(res.Assets)), Aggregations: res.Aggregations}
	for _, a := range res.Assets {
		item, err := s.searchResource(a, cloud, req.output)
		if err != nil {
			return err
		}
		out.Resources = append(out.Resources, item)
	}
	if !res.Next.IsZero() {
		out.NextCursor = encodeCursor(res.Next)
	}
	return c.JSON(http.StatusOK, out)
}

type searchJSON struct {
	TotalCount   int                       `json:"total_count"`
	Time         int64                     `json:"time"`
	NextCursor   string                    `json:"next_cursor,omitempty"`
	Resources    []any                     `json:"resources"`
	Aggregations map[string]map[string]int `json:"aggregations,omitempty"`
}

// readSearch decodes and checks a search call's parameters.
func (s *Server) readSearch(c echo.Context, cloud store.Cloud) (searchRequest, error) {
	p, err := s.adminParams(c)
	if err != nil {
		return searchRequest{}, err
	}
	req := searchRequest{query: store.SearchQuery{CloudID: cloud.ID}}
	q := &req.query
	expression := p.get("expression")
	if q.Expr, err = store.ParseSearchExpression(expression, s.now()); err != nil {
		return req, badRequest("Invalid search expression %q: %v", expression, err)
	}
	if q.Sort, err = readSearchSort(p); err != nil {
		return req, err
	}
	if q.Limit, err = maxResults(p, 50, 500, true); err != nil {
		return req, err
	}
	req.cursor = p.get("next_cursor")
	if err := decodeCursor(req.cursor, &q.After); err != nil {
		return req, err
	}
	aggregates, err := searchList(p, "aggregate")
	if err != nil {
		return req, err
	}
	for _, field := range aggregates {
		if !store.IsSearchAggregate(field) {
			return req, badRequest("Invalid aggregate - %s: cloudlet aggregates by format, resource_type and type", field)
		}
	}
	q.Aggregate = aggregates
	if req.output, err = readSearchOutput(p); err != nil {
		return req, err
	}
	q.WithLabels = req.output.with["tags"] || req.output.with["context"]
	return req, nil
}

// readSearchSort reads sort_by: a list of {"field": "asc"|"desc"} objects (JSON, as the SDKs
// send it, whole or item by item), or "field:direction" strings (a bare field is descending).
func readSearchSort(p *requestParams) ([]store.SearchSort, error) {
	items, err := searchList(p, "sort_by")
	if err != nil {
		return nil, err
	}
	var sorts []store.SearchSort
	for _, item := range items {
		field, dir := item, "desc"
		if strings.HasPrefix(item, "{") {
			var obj map[string]string
			if err := json.Unmarshal([]byte(item), &obj); err != nil || len(obj) != 1 {
				return nil, badRequest("Invalid sort_by - %s: each item maps one field to asc or desc", item)
			}
			for k, v := range obj {
				field, dir = k, v
			}
		} else if f, d, ok := strings.Cut(item, ":"); ok {
			field, dir = f, d
		}
		sort, err := store.ParseSearchSort(strings.TrimSpace(field), strings.TrimSpace(dir))
		if err != nil {
			return nil, badRequest("Invalid sort_by - %v", err)
		}
		sorts = append(sorts, sort)
	}
	return sorts, nil
}

// searchList reads a list parameter of the Search API, however it came: a JSON array (POST
// bodies, or a GET value written as JSON), name[] or name repeated, or comma-joined.
func searchList(p *requestParams, name string) ([]string, error) {
	var out []string
	for _, v := range p.list(name) {
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "["):
			var arr []any
			if err := json.Unmarshal([]byte(v), &arr); err != nil {
				return nil, badRequest("Invalid %s - %s", name, v)
			}
			for _, item := range arr {
				out = append(out, jsonScalar(item))
			}
		case strings.HasPrefix(v, "{"):
			out = append(out, v)
		default:
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out, nil
}
