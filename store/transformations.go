package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"
)

// The transformations a cloud knows: its named transformations, the canonical transformations
// its derived files were made with ("used"), and unnamed transformations given settings.

// CreateNamedTransformation adds a named transformation, or returns ErrExists.
func (s *Store) CreateNamedTransformation(ctx context.Context, cloudID int64, t NamedTransformation) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := time.Now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO named_transformations (cloud_id, name, definition,
			allowed_for_strict, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (cloud_id, name) DO NOTHING`, cloudID, t.Name, t.Definition, t.AllowedForStrict, now, now)
		if err != nil {
			return fmt.Errorf("create named transformation %s: %w", t.Name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrExists
		}
		return nil
	})
}

// NamedTransformationUpdate changes a named transformation; nil fields are left as they are.
type NamedTransformationUpdate struct {
	Definition       *string
	AllowedForStrict *bool
}

// UpdateNamedTransformation applies u to the cloud's named transformation, or returns ErrNotFound.
func (s *Store) UpdateNamedTransformation(ctx context.Context, cloudID int64, name string, u NamedTransformationUpdate) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE named_transformations SET
			definition = COALESCE(?, definition), allowed_for_strict = COALESCE(?, allowed_for_strict),
			updated_at = ? WHERE cloud_id = ? AND name = ?`,
			nullable(u.Definition), nullable(u.AllowedForStrict), time.Now().Unix(), cloudID, name)
		if err != nil {
			return fmt.Errorf("update named transformation %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// SetTransformationAllowedForStrict records allowed_for_strict for an unnamed transformation
// (its canonical text).
func (s *Store) SetTransformationAllowedForStrict(ctx context.Context, cloudID int64, transformation string, allowed bool) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO transformation_settings (cloud_id, transformation,
			allowed_for_strict, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (cloud_id, transformation) DO UPDATE SET
			allowed_for_strict = excluded.allowed_for_strict, updated_at = excluded.updated_at`,
			cloudID, transformation, allowed, time.Now().Unix())
		if err != nil {
			return fmt.Errorf("set transformation %s: %w", transformation, err)
		}
		return nil
	})
}

// TransformationAllowedForStrict says whether the unnamed transformation (canonical text) is
// marked allowed_for_strict, and whether it has settings at all.
func (s *Store) TransformationAllowedForStrict(ctx context.Context, cloudID int64, transformation string) (allowed, found bool, err error) {
	err = s.reader.QueryRowContext(ctx, `SELECT allowed_for_strict FROM transformation_settings
		WHERE cloud_id = ? AND transformation = ?`, cloudID, transformation).Scan(&allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("read transformation %s: %w", transformation, err)
	}
	return allowed, true, nil
}

// TransformationUseRecorded says whether a derived file was ever made with the transformation as
// asked for (canonical, named references unexpanded: see migration 0009), since it was last
// deleted.
func (s *Store) TransformationUseRecorded(ctx context.Context, cloudID int64, transformation string) (bool, error) {
	var used bool
	err := s.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM transformation_uses
		WHERE cloud_id = ? AND transformation = ?)`, cloudID, transformation).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("read use of %s: %w", transformation, err)
	}
	return used, nil
}

// TransformationUsed says whether any of the cloud's derived files is now keyed by the canonical
// transformation (named transformations expanded).
func (s *Store) TransformationUsed(ctx context.Context, cloudID int64, transformation string) (bool, error) {
	var one int
	err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM derived d JOIN assets a ON a.id = d.asset
		WHERE d.transformation = ? AND a.cloud_id = ? LIMIT 1`, transformation, cloudID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read derived of %s: %w", transformation, err)
	}
	return true, nil
}

// TransformationQuery selects a page of a cloud's transformations, in name order.
type TransformationQuery struct {
	CloudID int64
	Named   *bool  // only named (true) or only unnamed (false) ones; nil: both
	After   string // the Name of the previous page's last item
	Limit   int
}

// TransformationItem is an item of the transformations listing. Name is "t_<name>" for a named
// transformation and the canonical text for an unnamed one. Used says that derived files were
// made with it, as it is named here.
type TransformationItem struct {
	Name             string
	Named            bool
	Definition       string // named only
	AllowedForStrict bool
	Used             bool
}

// ListTransformations returns one page of the cloud's transformations and whether more follow:
// named ones, the others derived files were made with, and unnamed ones with settings, merged in
// name order, each once (a named transformation used as "t_<name>" is its named item).
func (s *Store) ListTransformations(ctx context.Context, q TransformationQuery) ([]TransformationItem, bool, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	var items []TransformationItem
	if q.Named == nil || *q.Named {
		named, err := s.namedPage(ctx, q.CloudID, q.After, limit+1)
		if err != nil {
			return nil, false, err
		}
		items = append(items, named...)
	}
	if q.Named == nil || !*q.Named {
		unnamed, err := s.unnamedPage(ctx, q.CloudID, q.After, limit+1)
		if err != nil {
			return nil, false, err
		}
		items = append(items, unnamed...)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	return items, more, nil
}

func (s *Store) namedPage(ctx context.Context, cloudID int64, after string, n int) ([]TransformationItem, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT n.name, n.definition, n.allowed_for_strict,
		EXISTS (SELECT 1 FROM transformation_uses u WHERE u.cloud_id = n.cloud_id AND u.transformation = 't_' || n.name)
		FROM named_transformations n WHERE n.cloud_id = ? AND 't_' || n.name > ? ORDER BY n.name LIMIT ?`, cloudID, after, n)
	if err != nil {
		return nil, fmt.Errorf("list named transformations: %w", err)
	}
	defer rows.Close()
	var out []TransformationItem
	for rows.Next() {
		it := TransformationItem{Named: true}
		if err := rows.Scan(&it.Name, &it.Definition, &it.AllowedForStrict, &it.Used); err != nil {
			return nil, err
		}
		it.Name = "t_" + it.Name
		out = append(out, it)
	}
	return out, rows.Err()
}

// unnamedPage merges the first n used transformations (but a named one's "t_<name>") and the
// first n with settings after `after`: enough to know the first n of their union.
func (s *Store) unnamedPage(ctx context.Context, cloudID int64, after string, n int) ([]TransformationItem, error) {
	byName := map[string]*TransformationItem{}
	var out []TransformationItem
	rows, err := s.reader.QueryContext(ctx, `SELECT u.transformation FROM transformation_uses u
		WHERE u.cloud_id = ? AND u.transformation > ? AND NOT EXISTS (SELECT 1 FROM named_transformations n
			WHERE n.cloud_id = u.cloud_id AND 't_' || n.name = u.transformation)
		ORDER BY u.transformation LIMIT ?`, cloudID, after, n)
	if err != nil {
		return nil, fmt.Errorf("list used transformations: %w", err)
	}
	for rows.Next() {
		it := TransformationItem{Used: true}
		if err := rows.Scan(&it.Name); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	rows, err = s.reader.QueryContext(ctx, `SELECT transformation, allowed_for_strict FROM transformation_settings
		WHERE cloud_id = ? AND transformation > ? ORDER BY transformation LIMIT ?`, cloudID, after, n)
	if err != nil {
		return nil, fmt.Errorf("list transformation settings: %w", err)
	}
	defer rows.Close()
	var extra []TransformationItem
	for rows.Next() {
		var name string
		var allowed bool
		if err := rows.Scan(&name, &allowed); err != nil {
			return nil, err
		}
		if it, ok := byName[name]; ok {
			it.AllowedForStrict = allowed
			continue
		}
		extra = append(extra, TransformationItem{Name: name, AllowedForStrict: allowed})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(out, extra...), nil
}

// AssetDerived is a derived file with the original it was made from.
type AssetDerived struct {
	Asset   Asset
	Derived Derived
}

// DerivedByTransformation returns one page, in derived id order after `after`, of the cloud's
// derived files made with the canonical transformation (and in format, when set), and whether
// more follow.
func (s *Store) DerivedByTransformation(ctx context.Context, cloudID int64, transformation, format, after string, limit int) ([]AssetDerived, bool, error) {
	query := "SELECT " + prefixed(derivedColumns, "d.") + ", " + prefixed(assetColumns, "a.") +
		` FROM derived d JOIN assets a ON a.id = d.asset
		WHERE d.transformation = ? AND a.cloud_id = ? AND d.id > ?`
	args := []any{transformation, cloudID, after}
	if format != "" {
		query += " AND d.format = ?"
		args = append(args, format)
	}
	rows, err := s.reader.QueryContext(ctx, query+" ORDER BY d.id LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("list derived of %s: %w", transformation, err)
	}
	defer rows.Close()
	out := []AssetDerived{}
	for rows.Next() {
		var it AssetDerived
		var created int64
		var attrs, exif string
		var aCreated, aUpdated int64
		d, a := &it.Derived, &it.Asset
		err := rows.Scan(&d.ID, &d.Transformation, &d.Format, &d.Blob, &d.Bytes, &d.Width, &d.Height, &d.ETag, &created,
			&a.rowID, &a.CloudID, &a.AssetID, &a.ResourceType, &a.Type, &a.PublicID, &a.Format,
			&a.Version, &a.VersionID, &a.Blob, &a.Bytes, &a.Width, &a.Height, &a.Pages, &a.ETag,
			&a.OriginalFilename, &a.Folder, &a.AssetFolder, &a.DisplayName, &a.AccessMode, &attrs, &exif,
			&aCreated, &aUpdated, &a.HasAlpha)
		if err != nil {
			return nil, false, err
		}
		d.CreatedAt = time.Unix(created, 0).UTC()
		a.CreatedAt, a.UpdatedAt = time.Unix(aCreated, 0).UTC(), time.Unix(aUpdated, 0).UTC()
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// TransformationDelete names what deleting a transformation removes: the named definition
// (Named, without "t_") and the record of its use as "t_<name>", the settings and the record of
// use of an unnamed one (Setting, its canonical text) and the derived files made with it
// (Derived, the canonical text they are keyed by). Empty fields remove nothing.
type TransformationDelete struct {
	CloudID int64
	Named   string
	Setting string
	Derived string
}

// DeleteTransformation removes what d names in one transformation, then the derived files, and
// returns how many derived files it deleted.
func (s *Store) DeleteTransformation(ctx context.Context, d TransformationDelete) (int, error) {
	var blobs []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		blobs = nil
		var used string
		if d.Named != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM named_transformations WHERE cloud_id = ? AND name = ?", d.CloudID, d.Named); err != nil {
				return fmt.Errorf("delete named transformation: %w", err)
			}
			used = "t_" + d.Named
		}
		if d.Setting != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM transformation_settings WHERE cloud_id = ? AND transformation = ?", d.CloudID, d.Setting); err != nil {
				return fmt.Errorf("delete transformation settings: %w", err)
			}
			used = d.Setting
		}
		if used != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM transformation_uses WHERE cloud_id = ? AND transformation = ?", d.CloudID, used); err != nil {
				return fmt.Errorf("delete transformation use: %w", err)
			}
		}
		if d.Derived == "" {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM derived WHERE transformation = ?
			AND asset IN (SELECT id FROM assets WHERE cloud_id = ?) RETURNING blob`, d.Derived, d.CloudID)
		if err != nil {
			return fmt.Errorf("delete derived of %s: %w", d.Derived, err)
		}
		defer rows.Close()
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				return err
			}
			blobs = append(blobs, b)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	for _, name := range blobs {
		s.removeBlob(name)
	}
	return len(blobs), nil
}
