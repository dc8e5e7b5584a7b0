package httpapi

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// folderRoutes registers the folders API: listings, create, rename and delete.
func (s *Server) folderRoutes(admin *echo.Group) {
	admin.GET("/folders", s.listFolders)
	admin.GET("/folders/*", s.listFolders)
	admin.POST("/folders/*", s.createFolder)
	admin.PUT("/folders/*", s.renameFolder)
	admin.DELETE("/folders/*", s.deleteFolder)
}

// checkFolderPath refuses a folder path that checkSlashedName refuses (a folder is part of a
// public id), or that has a slash at either end or an empty segment.
func checkFolderPath(name, path string) error {
	if err := checkSlashedName(name, path); err != nil {
		return err
	}
	if strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.Contains(path, "//") {
		return badRequest("Invalid %s %s - it may not start or end with / or hold empty segments", name, path)
	}
	for _, seg := range strings.Split(path, "/") {
		if versionSegment.MatchString(seg) {
			return badRequest("Invalid %s %s - you cannot use 'v' followed by numeric characters as the name of a folder", name, path)
		}
	}
	return nil
}

// versionSegment is a path segment a delivery URL would read as a version.
var versionSegment = regexp.MustCompile(`^v[0-9]+$`)

// folderPath is the folder a /folders/* route names, checked.
func folderPath(c echo.Context) (string, error) {
	path := c.Param("*")
	return path, checkFolderPath("folder path", path)
}

func folderNotFound(path string) *apiError {
	return errorf(http.StatusNotFound, "Can't find folder with path %s", path)
}

type folderJSON struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	ExternalID string `json:"external_id"`
}

type folderListJSON struct {
	Folders    []folderJSON `json:"folders"`
	NextCursor *string      `json:"next_cursor"` // null on the last page, as Cloudinary writes it
	TotalCount int          `json:"total_count"`
}

// listFolders is GET /folders (the root folders) and GET /folders/:path (its sub folders).
func (s *Server) listFolders(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	parent := c.Param("*")
	if parent == "/" { // sub_folders("/") asks for the root
		parent = ""
	}
	if parent != "" {
		if err := checkFolderPath("folder path", parent); err != nil {
			return err
		}
	}
	limit, err := maxResults(p, 10, 500, false)
	if err != nil {
		return err
	}
	var after string
	if err := decodeCursor(p.get("next_cursor"), &after); err != nil {
		return err
	}
	page, err := s.store.SubFolders(c.Request().Context(), requestCloud(c).ID, parent, after, limit)
	if errors.Is(err, store.ErrNotFound) {
		return folderNotFound(parent)
	}
	if err != nil {
		return err
	}
	out := folderListJSON{Folders: make([]folderJSON, 0, len(page.Folders)), TotalCount: page.Total}
	for _, f := range page.Folders {
		out.Folders = append(out.Folders, folderJSON{Name: f.Name, Path: f.Path, ExternalID: f.ExternalID})
	}
	if page.More {
		next := encodeCursor(page.Folders[len(page.Folders)-1].Name)
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// createFolder is POST /folders/:path: it creates the folder and its missing parents; a folder
// that exists is a 409.
func (s *Server) createFolder(c echo.Context) error {
	path, err := folderPath(c)
	if err != nil {
		return err
	}
	f, err := s.store.CreateFolder(c.Request().Context(), requestCloud(c).ID, path)
	if errors.Is(err, store.ErrExists) {
		return errorf(http.StatusConflict, "Folder %s already exists", path)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"success": true, "path": f.Path, "name": f.Name, "external_id": f.ExternalID})
}

// renameFolder is PUT /folders/:path with to_folder: it moves the folder, its sub folders and the
// assets in them (by asset folder; public ids stay as they are).
func (s *Server) renameFolder(c echo.Context) error {
	from, err := folderPath(c)
	if err != nil {
		return err
	}
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	to := p.get("to_folder")
	if to == "" {
		return missingParam("to_folder")
	}
	if err := checkFolderPath("to_folder", to); err != nil {
		return err
	}
	moved, err := s.store.RenameFolder(c.Request().Context(), requestCloud(c).ID, from, to)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return folderNotFound(from)
	case errors.Is(err, store.ErrExists):
		return errorf(http.StatusConflict, "Folder %s already exists", to)
	case errors.Is(err, store.ErrFolderIntoItself):
		return badRequest("Can't move folder %s into itself (%s)", from, to)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, map[string]map[string]string{
		"from": {"name": from[strings.LastIndexByte(from, '/')+1:], "path": from},
		"to":   {"name": moved.Name, "path": moved.Path},
	})
}

// deleteFolder is DELETE /folders/:path: it deletes an empty folder with its sub folders, and
// refuses a folder that holds any asset, in it or below.
func (s *Server) deleteFolder(c echo.Context) error {
	path, err := folderPath(c)
	if err != nil {
		return err
	}
	deleted, err := s.store.DeleteFolder(c.Request().Context(), requestCloud(c).ID, path)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return folderNotFound(path)
	case errors.Is(err, store.ErrFolderNotEmpty):
		return badRequest("Folder is not empty")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, map[string][]string{"deleted": deleted})
}
