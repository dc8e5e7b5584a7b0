package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// NamedTransformation is a cloud's t_<name>.
type NamedTransformation struct {
	Name             string
	Definition       string
	AllowedForStrict bool
}

// PutNamedTransformation creates or replaces a named transformation.
func (s *Store) PutNamedTransformation(ctx context.Context, cloudID int64, t NamedTransformation) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := time.Now().Unix()
		_, err := tx.ExecContext(ctx, `INSERT INTO named_transformations (cloud_id, name, definition,
			allowed_for_strict, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (cloud_id, name) DO UPDATE SET definition = excluded.definition,
			allowed_for_strict = excluded.allowed_for_strict, updated_at = excluded.updated_at`,
			cloudID, t.Name, t.Definition, t.AllowedForStrict, now, now)
		if err != nil {
			return fmt.Errorf("put named transformation %s: %w", t.Name, err)
		}
		return nil
	})
}

// NamedTransformationByName returns the cloud's named transformation, or ErrNotFound.
func (s *Store) NamedTransformationByName(ctx context.Context, cloudID int64, name string) (NamedTransformation, error) {
	t := NamedTransformation{Name: name}
	err := s.reader.QueryRowContext(ctx, `SELECT definition, allowed_for_strict FROM named_transformations
		WHERE cloud_id = ? AND name = ?`, cloudID, name).Scan(&t.Definition, &t.AllowedForStrict)
	if errors.Is(err, sql.ErrNoRows) {
		return NamedTransformation{}, ErrNotFound
	}
	if err != nil {
		return NamedTransformation{}, fmt.Errorf("read named transformation %s: %w", name, err)
	}
	return t, nil
}
