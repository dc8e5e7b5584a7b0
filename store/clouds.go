package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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
	s.clouds.forget()
	return c, err
}

// CloudByName returns the cloud called name, or ErrNotFound. Every request asks, so clouds
// found are remembered until PutCloud, the only writer of clouds, changes one.
func (s *Store) CloudByName(ctx context.Context, name string) (Cloud, error) {
	c, ok, version := s.clouds.get(name)
	if ok {
		return c, nil
	}
	c, err := s.readCloud(ctx, name)
	if err == nil {
		s.clouds.put(c, version)
	}
	return c, err
}

func (s *Store) readCloud(ctx context.Context, name string) (Cloud, error) {
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

// cloudCache remembers clouds by name. A cloud read while PutCloud commits may be the old one:
// put keeps it only if no forget happened since the get that preceded the read.
type cloudCache struct {
	mu      sync.RWMutex
	version uint64
	byName  map[string]Cloud
}

func (cc *cloudCache) get(name string) (Cloud, bool, uint64) {
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	c, ok := cc.byName[name]
	return c, ok, cc.version
}

func (cc *cloudCache) put(c Cloud, readAt uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.version != readAt {
		return
	}
	if cc.byName == nil {
		cc.byName = map[string]Cloud{}
	}
	cc.byName[c.Name] = c
}

func (cc *cloudCache) forget() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.version++
	cc.byName = nil
}
