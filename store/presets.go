package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// UploadPreset is a cloud's named set of upload parameter defaults.
type UploadPreset struct {
	Name             string
	Unsigned         bool // usable by uploads that carry no signature
	DisallowPublicID bool // uploads with this preset may not name their public_id
	Live             bool
	// Settings are upload parameters by name, each valued as it would be sent on the wire
	// (tags comma-joined, context k=v|k2=v2, eager |-joined, booleans true/false).
	Settings  map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const presetColumns = "name, unsigned, disallow_public_id, live, settings, created_at, updated_at"

func scanPreset(r rowScanner) (UploadPreset, error) {
	var p UploadPreset
	var settings string
	var created, updated int64
	if err := r.Scan(&p.Name, &p.Unsigned, &p.DisallowPublicID, &p.Live, &settings, &created, &updated); err != nil {
		return UploadPreset{}, err
	}
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return UploadPreset{}, fmt.Errorf("upload preset %s settings: %w", p.Name, err)
	}
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	p.CreatedAt, p.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return p, nil
}

func presetSettingsJSON(p UploadPreset) (string, error) {
	b, err := json.Marshal(nonNil(p.Settings))
	if err != nil {
		return "", fmt.Errorf("upload preset %s settings: %w", p.Name, err)
	}
	return string(b), nil
}

// CreateUploadPreset stores a new preset; ErrExists when the cloud has one of that name.
func (s *Store) CreateUploadPreset(ctx context.Context, cloudID int64, p UploadPreset) (UploadPreset, error) {
	settings, err := presetSettingsJSON(p)
	if err != nil {
		return UploadPreset{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO upload_presets (cloud_id, `+presetColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cloud_id, name) DO NOTHING`,
			cloudID, p.Name, p.Unsigned, p.DisallowPublicID, p.Live, settings, now.Unix(), now.Unix())
		if err != nil {
			return fmt.Errorf("create upload preset %s: %w", p.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrExists
		}
		return nil
	})
	if err != nil {
		return UploadPreset{}, err
	}
	p.Settings, p.CreatedAt, p.UpdatedAt = nonNil(p.Settings), now, now
	return p, nil
}

// UploadPresetByName returns the cloud's preset called name, or ErrNotFound.
func (s *Store) UploadPresetByName(ctx context.Context, cloudID int64, name string) (UploadPreset, error) {
	return getPreset(ctx, s.reader, cloudID, name)
}

func getPreset(ctx context.Context, q querier, cloudID int64, name string) (UploadPreset, error) {
	p, err := scanPreset(q.QueryRowContext(ctx, "SELECT "+presetColumns+
		" FROM upload_presets WHERE cloud_id = ? AND name = ?", cloudID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return UploadPreset{}, ErrNotFound
	}
	if err != nil {
		return UploadPreset{}, fmt.Errorf("read upload preset %s: %w", name, err)
	}
	return p, nil
}

// ListUploadPresets returns one page of the cloud's presets in name order, after the name
// `after` ("" for the first page), and whether more follow.
func (s *Store) ListUploadPresets(ctx context.Context, cloudID int64, after string, limit int) ([]UploadPreset, bool, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+presetColumns+` FROM upload_presets
		WHERE cloud_id = ? AND name > ? ORDER BY name LIMIT ?`, cloudID, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list upload presets: %w", err)
	}
	defer rows.Close()
	page := []UploadPreset{}
	for rows.Next() {
		p, err := scanPreset(rows)
		if err != nil {
			return nil, false, err
		}
		page = append(page, p)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(page) > limit
	if more {
		page = page[:limit]
	}
	return page, more, nil
}

// UpdateUploadPreset changes the cloud's preset called name with change, read and written in
// one transaction so concurrent updates do not lose each other's fields. ErrNotFound when
// there is no such preset; an error from change aborts the update.
func (s *Store) UpdateUploadPreset(ctx context.Context, cloudID int64, name string, change func(*UploadPreset) error) (UploadPreset, error) {
	var out UploadPreset
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := getPreset(ctx, tx, cloudID, name)
		if err != nil {
			return err
		}
		if err := change(&p); err != nil {
			return err
		}
		p.Name = name
		settings, err := presetSettingsJSON(p)
		if err != nil {
			return err
		}
		p.UpdatedAt = time.Now().UTC().Truncate(time.Second)
		_, err = tx.ExecContext(ctx, `UPDATE upload_presets SET unsigned = ?, disallow_public_id = ?, live = ?,
			settings = ?, updated_at = ? WHERE cloud_id = ? AND name = ?`,
			p.Unsigned, p.DisallowPublicID, p.Live, settings, p.UpdatedAt.Unix(), cloudID, name)
		if err != nil {
			return fmt.Errorf("update upload preset %s: %w", name, err)
		}
		out = p
		return nil
	})
	return out, err
}

// DeleteUploadPreset removes the cloud's preset called name, or returns ErrNotFound.
func (s *Store) DeleteUploadPreset(ctx context.Context, cloudID int64, name string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM upload_presets WHERE cloud_id = ? AND name = ?", cloudID, name)
		if err != nil {
			return fmt.Errorf("delete upload preset %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
