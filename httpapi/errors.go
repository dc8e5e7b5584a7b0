package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// apiError is an error whose message Cloudinary's clients may read: it carries the HTTP status
// and the message of Cloudinary's `{"error":{"message":...}}` body.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

// missingParam is Cloudinary's error for a required parameter that was not sent.
func missingParam(name string) *apiError {
	return badRequest("Missing required parameter - %s", name)
}

// storageError is the answer to a storage condition (store.StorageCondition): 503, since the
// request may succeed unchanged once the condition clears; nil for any other error.
func storageError(condition error) *apiError {
	switch condition {
	case store.ErrStorageFull:
		return errorf(http.StatusServiceUnavailable, "Storage is full, retry later")
	case store.ErrStorageReadOnly:
		return errorf(http.StatusServiceUnavailable, "Storage is read-only, retry later")
	case store.ErrDatabaseBusy:
		return errorf(http.StatusServiceUnavailable, "Database is busy, retry later")
	}
	return nil
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// handleError renders every error in Cloudinary's shape. Internal errors are logged with their
// cause and answered with a generic message, never the raw error.
func handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		ae = &apiError{Status: he.Code, Message: http.StatusText(he.Code)}
		if he.Code == http.StatusNotFound && !strings.HasPrefix(c.Request().URL.Path, "/v1_1/") {
			ae.Message = "Resource not found"
		}
	default:
		slog.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		ae = storageError(store.StorageCondition(err))
		if ae == nil {
			ae = &apiError{Status: http.StatusInternalServerError, Message: "Internal error"}
		} else {
			c.Response().Header().Set("Retry-After", "5")
		}
	}
	h := c.Response().Header()
	if !strings.HasPrefix(c.Request().URL.Path, "/v1_1/") {
		// Delivery errors carry Cloudinary's X-Cld-Error header and are cached only briefly.
		h.Set("X-Cld-Error", ae.Message)
		h.Set("Cache-Control", "public, max-age=60")
	}
	var body errorBody
	body.Error.Message = ae.Message
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(ae.Status)
	} else {
		err = c.JSON(ae.Status, body)
	}
	if err != nil {
		slog.Warn("write error response", "err", err)
	}
}
