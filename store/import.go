package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// importBatch is how many assets one ImportAssets transaction writes.
const importBatch = 2000

// ImportAssets adds many new assets whose originals all have the bytes of the file src: each
// gets its own blob (a hard link to src, so a later delete of one removes only its link) and its
// own row, tags and context, committed in batches. It is for loading large catalogues quickly
// (the benchmark's 100,000 assets), where one upload each would take minutes; keys must be new.
// The fields SaveAsset owns are filled in as it does, except that a non-zero CreatedAt is kept.
func (s *Store) ImportAssets(ctx context.Context, assets []Asset, src string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("import source: %w", err)
	}
	links := linkSource{path: src}
	defer links.close()
	for start := 0; start < len(assets); start += importBatch {
		batch := assets[start:min(start+importBatch, len(assets))]
		for i := range batch {
			a := &batch[i]
			a.AssetID, a.VersionID = NewAssetID(), randomHex(16)
			a.Blob = originalBlobName(a.VersionID)
			if a.CreatedAt.IsZero() {
				a.CreatedAt = time.Now().UTC().Truncate(time.Second)
			}
			a.UpdatedAt, a.Version = a.CreatedAt, a.CreatedAt.Unix()
			dst := s.blobs.path(a.Blob)
			if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
				return fmt.Errorf("create blob dir: %w", err)
			}
			if err := links.link(dst); err != nil {
				return err
			}
		}
		err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			for i := range batch {
				if err := writeAssetRow(ctx, tx, &batch[i], false); err != nil {
					return err
				}
				if err := replaceLabels(ctx, tx, batch[i].rowID, batch[i].Tags, batch[i].Context); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			for _, a := range batch {
				s.removeBlob(a.Blob)
			}
			return fmt.Errorf("import assets: %w", err)
		}
	}
	return nil
}

// linkSource makes hard links to one file. A filesystem caps the links one file may have
// (65,000 on ext4), so past the cap it links to a fresh copy, which close removes.
type linkSource struct {
	path   string
	copies []string
}

func (l *linkSource) link(dst string) error {
	err := os.Link(l.path, dst)
	if errors.Is(err, syscall.EMLINK) {
		if err = l.copySource(); err == nil {
			err = os.Link(l.path, dst)
		}
	}
	if err != nil {
		return fmt.Errorf("link blob: %w", err)
	}
	return nil
}

func (l *linkSource) copySource() error {
	body, err := os.ReadFile(l.path)
	if err != nil {
		return err
	}
	cp := filepath.Join(filepath.Dir(l.path), fmt.Sprintf(".import-copy-%d-%s", len(l.copies), filepath.Base(l.path)))
	if err := os.WriteFile(cp, body, 0o640); err != nil {
		return err
	}
	l.path, l.copies = cp, append(l.copies, cp)
	return nil
}

func (l *linkSource) close() {
	for _, cp := range l.copies {
		os.Remove(cp)
	}
}
