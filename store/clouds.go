package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cloud is a tenant: its assets are reached with its name and its key pair.
type Cloud struct {
	ID        int64
	Name      string
	APIKey    string
	APISecret string
	// StrictTransformations allows new derived images only for signed URLs and transformations
	// marked allowed_for_strict.
	StrictTransformations bool
}

// ErrNotFound is returned when the thing asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned when a write would replace something it must not.
var ErrExists = errors.New("store: already exists")

// PutCloud creates the cloud called c.Name, or updates its key pair when it exists.
func (s *Store) PutCloud(ctx context.Context, c Cloud) (Cloud, error) {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO clouds (name, api_key, api_secret, strict_transformations, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET api_key = excluded.api_key, api_secret = excluded.api_secret,
				strict_transformations = excluded.strict_transformations`,
			c.Name, c.APIKey, c.APISecret, c.StrictTransformations, time.Now().Unix())
		if err != nil {
			return fmt.Errorf("put cloud %s: %w", c.Name, err)
		}
		return tx.QueryRowContext(ctx, "SELECT id FROM clouds WHERE name = ?", c.Name).Scan(&c.ID)
	})
	return c, err
}

// CloudByName returns the cloud called name, or ErrNotFound.
func (s *Store) CloudByName(ctx context.Context, name string) (Cloud, error) {
	var c Cloud
	err := s.reader.QueryRowContext(ctx,
		"SELECT id, name, api_key, api_secret, strict_transformations FROM clouds WHERE name = ?", name).
		Scan(&c.ID, &c.Name, &c.APIKey, &c.APISecret, &c.StrictTransformations)
	if errors.Is(err, sql.ErrNoRows) {
		return Cloud{}, ErrNotFound
	}
	if err != nil {
		return Cloud{}, fmt.Errorf("read cloud %s: %w", name, err)
	}
	return c, nil
}

// Clouds lists every cloud, oldest first.
func (s *Store) Clouds(ctx context.Context) ([]Cloud, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT id, name, api_key, api_secret, strict_transformations FROM clouds ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list clouds: %w", err)
	}
	defer rows.Close()
	var out []Cloud
	for rows.Next() {
		var c Cloud
		if err := rows.Scan(&c.ID, &c.Name, &c.APIKey, &c.APISecret, &c.StrictTransformations); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
