package httpapi

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"cloudlet/store"
	"cloudlet/transform"
)

// variant is one derived image to deliver or generate: an asset, a resolved chain, the
// chain's canonical text, the output format, and the transformation as the request named it.
type variant struct {
	asset     store.Asset
	chain     transform.Chain
	key       string // canonical transformation
	format    string
	requested string // the transformation as asked for: canonical, named references unexpanded
}

// derive generates and stores a variant its caller did not find stored, and returns it with its
// bytes: the answer needs no reading back. Concurrent requests for one variant generate it once;
// generation is bounded by the transform limiter and by a time limit, and is not cancelled when
// the first requester goes away.
func (s *Server) derive(ctx context.Context, cloud store.Cloud, v variant) (store.Derived, []byte, error) {
	id := store.DerivedID(v.asset.AssetID, v.key, v.format)
	type made struct {
		d    store.Derived
		body []byte
	}
	res, err, _ := s.generating.Do(id, func() (any, error) {
		out, err := s.render(ctx, cloud, v)
		if err != nil {
			return nil, err
		}
		d, err := s.storeDerived(v, out)
		return made{d, out.Bytes}, err
	})
	if err != nil {
		return store.Derived{}, nil, err
	}
	m := res.(made)
	return m.d, m.body, nil
}

// render runs the transformation over the asset's original in a generation slot, within the
// time limit (which starts once a slot is had). Storing the result is left to the caller, out
// of the slot: it waits on the disk, and the slot is for work on the CPU.
func (s *Server) render(ctx context.Context, cloud store.Cloud, v variant) (transform.Output, error) {
	release, err := s.transforms.acquire(ctx, imagePixels(v.asset.Width, v.asset.Height, v.asset.Pages))
	if err != nil {
		return transform.Output{}, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TransformTimeout)
	defer cancel()
	s.generations.Add(1)
	src, err := readSource(s.store.BlobPath(v.asset.Blob))
	if errors.Is(err, fs.ErrNotExist) {
		return transform.Output{}, errBlobGone()
	}
	if err != nil {
		return transform.Output{}, fmt.Errorf("read original: %w", err)
	}
	defer releaseSource(src)
	out, err := transform.Execute(ctx, transform.Source{Bytes: *src}, v.chain, v.format,
		s.layerLoader(ctx, cloud), transform.Limits{MaxOutputPixels: s.cfg.MaxOutputPixels})
	switch {
	case errors.Is(err, transform.ErrInvalid), errors.Is(err, transform.ErrLayerNotFound):
		return transform.Output{}, badRequest("%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return transform.Output{}, errorf(504, "Transformation took too long")
	case err != nil:
		return transform.Output{}, fmt.Errorf("transform %s: %w", v.key, err)
	}
	return out, nil
}

// storeDerived writes a rendered variant to the derived store, which records it shortly after
// (and keeps nothing if its asset changed while it was made).
func (s *Server) storeDerived(v variant, out transform.Output) (store.Derived, error) {
	sum := md5.Sum(out.Bytes)
	d := store.Derived{Transformation: v.key, Format: out.Format, Width: out.Width, Height: out.Height,
		ETag: hex.EncodeToString(sum[:]), Requested: v.requested}
	return s.store.SaveDerived(v.asset, d, out.Bytes)
}

// layerLoader reads l_/u_ images from the same cloud's image/upload assets.
func (s *Server) layerLoader(ctx context.Context, cloud store.Cloud) transform.LayerLoader {
	return func(publicID string) ([]byte, error) {
		a, err := s.store.AssetForDelivery(ctx, store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: "upload", PublicID: publicID})
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", transform.ErrLayerNotFound, publicID)
		}
		if err != nil {
			return nil, err
		}
		return os.ReadFile(s.store.BlobPath(a.Blob))
	}
}

// expandNamed replaces t_ references with the cloud's named transformations.
func (s *Server) expandNamed(ctx context.Context, cloud store.Cloud, c transform.Chain) (transform.Chain, error) {
	expanded, err := c.Expand(func(name string) (string, bool) {
		t, err := s.store.NamedTransformationByName(ctx, cloud.ID, name)
		return t.Definition, err == nil
	})
	if err != nil {
		return c, transformError(err)
	}
	return expanded, nil
}

// transformError turns a parse error into Cloudinary's 400.
func transformError(err error) error {
	var pe *transform.ParseError
	if errors.As(err, &pe) {
		return badRequest("%s", pe.Error())
	}
	return err
}
