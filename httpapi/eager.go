package httpapi

import (
	"context"
	"errors"
	"strings"

	"cloudlet/store"
	"cloudlet/transform"
)

// eagerSpec is one item of an `eager` parameter: a transformation and an optional format.
type eagerSpec struct {
	text   string // the transformation as given, without the format component
	chain  transform.Chain
	format string // "" when the item names none
}

// parseEager reads `eager`: items joined by "|", each a (possibly chained) transformation that
// may end with a bare format component ("c_crop,w_200/png"), as the SDKs build it.
func parseEager(p *requestParams) ([]eagerSpec, error) {
	var specs []eagerSpec
	for _, v := range p.list("eager") {
		for _, item := range strings.Split(v, "|") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			spec := eagerSpec{text: item}
			if i := strings.LastIndexByte(item, '/'); i >= 0 && transform.CanWrite(transform.NormalizeFormat(item[i+1:])) {
				spec.text, spec.format = item[:i], transform.NormalizeFormat(item[i+1:])
			} else if transform.CanWrite(transform.NormalizeFormat(item)) {
				spec.text, spec.format = "", transform.NormalizeFormat(item)
			}
			chain, err := transform.Parse(spec.text)
			if err != nil {
				return nil, transformError(err)
			}
			spec.chain = chain
			specs = append(specs, spec)
		}
	}
	return specs, nil
}

// eagerJSON is an item of the `eager` array in upload and explicit responses.
type eagerJSON struct {
	Transformation string `json:"transformation"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
	Bytes          int64  `json:"bytes"`
	Format         string `json:"format"`
	URL            string `json:"url"`
	SecureURL      string `json:"secure_url"`
}

// generateEager makes each eager variant of an image now (or finds it made) and describes it.
func (s *Server) generateEager(ctx context.Context, cloud store.Cloud, a store.Asset, specs []eagerSpec) ([]eagerJSON, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	if a.ResourceType != "image" {
		return nil, badRequest("Eager transformations are not supported for %s resources", a.ResourceType)
	}
	out := make([]eagerJSON, 0, len(specs))
	for _, spec := range specs {
		expanded, err := s.expandNamed(ctx, cloud, spec.chain)
		if err != nil {
			return nil, err
		}
		resolved := expanded.Resolve(transform.Negotiation{SourceFormat: a.Format, SourceAlpha: a.HasAlpha,
			SourceAnimated: a.Pages > 1, Ext: spec.format})
		v := variant{asset: a, chain: resolved, key: resolved.Canonical(), format: resolved.OutputFormat(spec.format, a.Format),
			requested: spec.chain.Canonical()}
		d, err := s.store.DerivedFile(ctx, a, v.key, v.format)
		if errors.Is(err, store.ErrNotFound) {
			d, _, err = s.derive(ctx, cloud, v)
		}
		if err != nil {
			return nil, err
		}
		u := s.derivedURL(cloud.Name, a, spec.text, d.Format)
		out = append(out, eagerJSON{Transformation: spec.text, Width: d.Width, Height: d.Height,
			Bytes: d.Bytes, Format: d.Format, URL: u, SecureURL: u})
	}
	return out, nil
}

// derivedURL is the delivery URL of an asset's variant.
func (s *Server) derivedURL(cloudName string, a store.Asset, transformation, format string) string {
	u := s.cfg.PublicURL + "/" + cloudName + "/" + a.ResourceType + "/" + a.Type + "/"
	if transformation != "" {
		u += transformation + "/"
	}
	return u + "v" + itoa(a.Version) + "/" + escapePublicID(a.PublicID) + "." + format
}
