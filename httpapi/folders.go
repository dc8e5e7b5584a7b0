package httpapi

import "github.com/labstack/echo/v4"

func (s *Server) folderRoutes(admin *echo.Group) {}
