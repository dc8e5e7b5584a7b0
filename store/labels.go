package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// TagCommand is one of the Upload API's tags commands.
type TagCommand string

const (
	TagAdd       TagCommand = "add"
	TagRemove    TagCommand = "remove"
	TagReplace   TagCommand = "replace"
	TagRemoveAll TagCommand = "remove_all"
)

// ContextCommand is one of the Upload API's context commands.
type ContextCommand string

const (
	ContextAdd       ContextCommand = "add"
	ContextRemoveAll ContextCommand = "remove_all"
)

// UpdateTags applies cmd with tags to each named asset of one resource type and type, in one
// transaction, and returns the public ids it found (unknown ones are skipped, as Cloudinary does).
func (s *Store) UpdateTags(ctx context.Context, scope AssetKey, publicIDs []string, cmd TagCommand, tags []string) ([]string, error) {
	return s.eachAsset(ctx, scope, publicIDs, func(tx *sql.Tx, rowID int64) error {
		switch cmd {
		case TagAdd:
			return addTags(ctx, tx, rowID, tags)
		case TagRemove:
			for _, t := range tags {
				if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ? AND tag = ?", rowID, t); err != nil {
					return err
				}
			}
			return nil
		case TagReplace, TagRemoveAll:
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ?", rowID); err != nil {
				return err
			}
			if cmd == TagReplace {
				return addTags(ctx, tx, rowID, tags)
			}
			return nil
		}
		return fmt.Errorf("unknown tag command %q", cmd)
	})
}

// UpdateContext applies cmd to each named asset and returns the public ids it found. add merges
// (an empty value removes that key); remove_all clears the context.
func (s *Store) UpdateContext(ctx context.Context, scope AssetKey, publicIDs []string, cmd ContextCommand, pairs map[string]string) ([]string, error) {
	return s.eachAsset(ctx, scope, publicIDs, func(tx *sql.Tx, rowID int64) error {
		switch cmd {
		case ContextAdd:
			return mergeContext(ctx, tx, rowID, pairs)
		case ContextRemoveAll:
			_, err := tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ?", rowID)
			return err
		}
		return fmt.Errorf("unknown context command %q", cmd)
	})
}

// Labels replace an asset's tags and/or context; a nil field is left as it is.
type Labels struct {
	Tags    []string
	Context map[string]string
}

// SetLabels replaces the asset's tags and/or context and returns the updated asset.
func (s *Store) SetLabels(ctx context.Context, k AssetKey, l Labels) (Asset, error) {
	var a Asset
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = getAsset(ctx, tx, k); err != nil {
			return err
		}
		if l.Tags != nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ?", a.rowID); err != nil {
				return err
			}
			if err := addTags(ctx, tx, a.rowID, l.Tags); err != nil {
				return err
			}
		}
		if l.Context != nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ?", a.rowID); err != nil {
				return err
			}
			if err := mergeContext(ctx, tx, a.rowID, l.Context); err != nil {
				return err
			}
		}
		return loadLabels(ctx, tx, &a)
	})
	return a, err
}

// eachAsset runs fn in one transaction for every public id that names an asset in scope (scope's
// PublicID is ignored) and returns those public ids.
func (s *Store) eachAsset(ctx context.Context, scope AssetKey, publicIDs []string, fn func(*sql.Tx, int64) error) ([]string, error) {
	found := []string{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range publicIDs {
			var rowID int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM assets WHERE cloud_id = ? AND resource_type = ?
				AND type = ? AND public_id = ?`, scope.CloudID, scope.ResourceType, scope.Type, id).Scan(&rowID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if err := fn(tx, rowID); err != nil {
				return err
			}
			found = append(found, id)
		}
		return nil
	})
	return found, err
}
