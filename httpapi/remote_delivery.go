package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"cloudlet/store"
	"cloudlet/transform"
)

var fetchScheme = regexp.MustCompile(`^(?i)https?:$`)

// parseFetchPath splits the escaped rest of a fetch delivery path: optional signature,
// transformation components and version, then the remote URL as the SDKs write it (escaped,
// "?" as %3F; the URL's own extension is part of it, the output format comes from f_). A URL
// whose "//" a proxy merged into "/" is restored.
func parseFetchPath(rest string) (deliveryPath, error) {
	var d deliveryPath
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	start := -1
	for i, seg := range segs {
		if fetchScheme.MatchString(seg) {
			start = i
			break
		}
	}
	if start < 0 {
		return d, badRequest("Invalid fetch URL - an http:// or https:// URL must follow the transformations")
	}
	head := segs[:start]
	if len(head) > 0 {
		if m := signatureComponent.FindStringSubmatch(head[0]); m != nil {
			d.signature, head = m[1], head[1:]
		}
	}
	if n := len(head); n > 0 && versionComponent.MatchString(head[n-1]) {
		d.version, head = head[n-1][1:], head[:n-1]
	}
	d.transformation = head
	d.source = strings.Join(segs[start:], "/")
	decoded, err := url.PathUnescape(d.source)
	if err != nil {
		return d, badRequest("Invalid fetch URL encoding")
	}
	scheme, after, _ := strings.Cut(decoded, ":")
	if !strings.HasPrefix(after, "//") {
		after = "/" + after
	}
	d.publicID = strings.ToLower(scheme) + ":" + after
	return d, nil
}

// keepUnknownExtension puts back into a social id what parseDeliveryPath took for an extension
// but is no image format: "john.smith" is a user name, "john.png" is john as PNG.
func (d *deliveryPath) keepUnknownExtension() {
	if d.ext != "" && !transform.CanWrite(d.ext) {
		d.publicID, d.ext = d.publicID+"."+d.ext, ""
	}
}

// remoteAsset returns the image of a remote delivery type: from the store, or fetched from its
// origin on first request, checked as an upload is and stored as an asset of that type.
// Concurrent first requests fetch once. A type that is not configured is restricted even for
// the assets it stored before.
func (s *Server) remoteAsset(ctx context.Context, cloud store.Cloud, typ, publicID string) (store.Asset, error) {
	origin, err := s.remote.originURL(typ, publicID)
	if err != nil {
		return store.Asset{}, err
	}
	key := store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: typ, PublicID: publicID}
	if a, err := s.store.Asset(ctx, key); !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	flight := strconv.FormatInt(cloud.ID, 10) + "\x00" + typ + "\x00" + publicID
	res, err, _ := s.fetchingRemote.Do(flight, func() (any, error) {
		// Not cancelled when the first requester goes away: the others wait for it.
		ctx := context.WithoutCancel(ctx)
		if a, err := s.store.Asset(ctx, key); !errors.Is(err, store.ErrNotFound) {
			return a, err // stored by a flight that ended between the lookup and this one
		}
		a, err := s.fetchRemote(ctx, cloud, key, origin)
		if err != nil && typ != "fetch" {
			err = hideOrigin(err, origin, publicID)
		}
		return a, err
	})
	if err != nil {
		return store.Asset{}, err
	}
	return res.(store.Asset), nil
}

// fetchRemote downloads origin through the guarded fetcher, accepts it only if it is an image
// an upload could be (format, pixel limits, a full decode), and stores it under key.
func (s *Server) fetchRemote(ctx context.Context, cloud store.Cloud, key store.AssetKey, origin string) (store.Asset, error) {
	src, err := s.tempSource(func(f *os.File) (string, error) { return s.fetcher.fetch(ctx, origin, f) })
	if err != nil {
		return store.Asset{}, err
	}
	defer os.Remove(src.path) // gone already once the store took it over
	a, err := s.inspect(ctx, cloud, &src, "image", uploadOptions{})
	if err != nil {
		return store.Asset{}, err
	}
	a.AssetKey = key
	name := key.PublicID
	if key.Type == "fetch" {
		name = strings.TrimSuffix(src.filename, path.Ext(src.filename))
	}
	a.DisplayName, a.OriginalFilename = name, name
	saved, _, err := s.store.SaveAsset(ctx, a, src.path, false)
	return saved, err
}

// hideOrigin words a failed social fetch in terms of the public id: the origin URL comes from
// configuration (it may hold a key), so it stays in the log.
func hideOrigin(err error, origin, publicID string) error {
	var ae *apiError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, origin) {
		return err
	}
	slog.Warn("remote origin failed", "public_id", publicID, "err", ae.Message)
	return errorf(ae.Status, "%s", strings.ReplaceAll(ae.Message, origin, publicID))
}
