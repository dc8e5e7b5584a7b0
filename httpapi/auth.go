package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// maxRequestAge is how old an upload request's timestamp may be, as on Cloudinary; the same
// window is allowed into the future for clock skew.
const maxRequestAge = time.Hour

const cloudKey = "cloudlet.cloud"

// requestCloud is the cloud a request's path names, once its credentials checked out.
func requestCloud(c echo.Context) store.Cloud { return c.Get(cloudKey).(store.Cloud) }

// lookupCloud finds the cloud named in the path.
func (s *Server) lookupCloud(c echo.Context) (store.Cloud, error) {
	name := c.Param("cloud")
	cloud, err := s.store.CloudByName(c.Request().Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Cloud{}, errorf(http.StatusUnauthorized, "Invalid cloud_name %s", name)
	}
	return cloud, err
}

// checkBasicAuth checks HTTP Basic api_key:api_secret against the cloud. ok is false when the
// request carries no Basic credentials at all.
func checkBasicAuth(r *http.Request, cloud store.Cloud) (ok bool, err error) {
	key, secret, ok := r.BasicAuth()
	if !ok {
		return false, nil
	}
	if !equalConstantTime(key, cloud.APIKey) {
		return true, errorf(http.StatusUnauthorized, "Unknown API key %s", key)
	}
	if !equalConstantTime(secret, cloud.APISecret) {
		return true, errorf(http.StatusUnauthorized, "Invalid api_secret")
	}
	return true, nil
}

// adminAuth is the Admin API's authentication: HTTP Basic with the cloud's key pair.
func (s *Server) adminAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cloud, err := s.lookupCloud(c)
		if err != nil {
			return err
		}
		present, err := checkBasicAuth(c.Request(), cloud)
		if err != nil {
			return err
		}
		if !present {
			return errorf(http.StatusUnauthorized, "Must supply api_key")
		}
		c.Set(cloudKey, cloud)
		return next(c)
	}
}

// checkUploadAuth authenticates an Upload API request: HTTP Basic credentials, or api_key,
// timestamp and signature over the parameters as sent.
func checkUploadAuth(r *http.Request, p *requestParams, cloud store.Cloud, now time.Time) error {
	if present, err := checkBasicAuth(r, cloud); present {
		return err
	}
	if err := checkAPIKey(p, cloud); err != nil {
		return err
	}
	if err := checkTimestamp(p, now); err != nil {
		return err
	}
	return checkSignature(p, cloud)
}

// checkAPIKey checks the api_key parameter against the cloud's.
func checkAPIKey(p *requestParams, cloud store.Cloud) error {
	key := p.get("api_key")
	if key == "" {
		return errorf(http.StatusUnauthorized, "Must supply api_key")
	}
	if !equalConstantTime(key, cloud.APIKey) {
		return errorf(http.StatusUnauthorized, "Unknown API key %s", key)
	}
	return nil
}

// checkTimestamp refuses a timestamp further than maxRequestAge from now.
func checkTimestamp(p *requestParams, now time.Time) error {
	ts := p.get("timestamp")
	if ts == "" {
		return missingParam("timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return badRequest("Invalid timestamp - %s", ts)
	}
	reported := time.Unix(sec, 0).UTC()
	if now.Sub(reported) > maxRequestAge {
		return badRequest("Stale request - reported time is %s which is more than 1 hour ago",
			reported.Format("2006-01-02 15:04:05 -0700"))
	}
	if reported.Sub(now) > maxRequestAge {
		return badRequest("Invalid timestamp - reported time is %s which is more than 1 hour in the future",
			reported.Format("2006-01-02 15:04:05 -0700"))
	}
	return nil
}

// checkSignature checks the signature parameter over the other parameters as sent.
func checkSignature(p *requestParams, cloud store.Cloud) error {
	sig := p.get("signature")
	if sig == "" {
		return missingParam("signature")
	}
	algo := signatureAlgorithm(p.get("signature_algorithm"), sig)
	v2 := stringToSign(p.raw, 2)
	if algo != nil {
		for _, payload := range []string{v2, stringToSign(p.raw, 1)} {
			if equalConstantTime(hexDigest(algo, payload, cloud.APISecret), sig) {
				return nil
			}
		}
	}
	return errorf(http.StatusUnauthorized, "Invalid Signature %s. String to sign - '%s'.", sig, v2)
}
