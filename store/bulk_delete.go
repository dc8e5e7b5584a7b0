package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// BulkDelete selects the originals one bulk delete call acts on and says what it removes from
// each. Exactly one selector is meant to be set: PublicIDs (with ResourceType and Type),
// AssetIDs, Prefix or All (with ResourceType and Type), or Tag (with ResourceType).
type BulkDelete struct {
	CloudID      int64
	ResourceType string
	Type         string
	PublicIDs    []string
	AssetIDs     []string
	Prefix       string
	All          bool
	Tag          string

	KeepOriginal bool           // remove derived files only
	Derived      []DerivedMatch // when set, only the derived files matching one (implies KeepOriginal)
	After        BulkCursor     // resume after this original (a BulkDeleteResult's Next); zero = start
	Limit        int            // originals per call; 0 means MaxBulkDelete
}

// BulkCursor is where a bulk delete resumes: after the asset row Row when deleting by tag
// (originals go in row order), else after the public id PublicID (in public id order, which
// the key index gives without sorting).
type BulkCursor struct {
	PublicID string `json:"p,omitempty"`
	Row      int64  `json:"r,omitempty"`
}

// MaxBulkDelete is how many originals one bulk delete call handles, as on Cloudinary.
const MaxBulkDelete = 1000

// DerivedMatch selects derived files by canonical transformation and, when Format is set, by
// output format.
type DerivedMatch struct {
	Transformation string
	Format         string
}

// DeletedOriginal is what a bulk delete did to one original.
type DeletedOriginal struct {
	PublicID string
	AssetID  string
	Type     string
	Original int // 1 when the original itself was deleted
	Derived  int // derived files deleted
}

// BulkDeleteResult is one call's work. When Partial, more originals match: the same call with
// After set to Next continues.
type BulkDeleteResult struct {
	Deleted []DeletedOriginal
	Partial bool
	Next    BulkCursor
}

// DeleteAssets runs one call of a bulk delete: up to Limit matching originals, in cursor order
// after q.After, with their derived rows (or only their derived rows, or only the matching
// ones) removed in one transaction; the files go after the commit.
func (s *Store) DeleteAssets(ctx context.Context, q BulkDelete) (BulkDeleteResult, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = MaxBulkDelete
	}
	keepOriginal := q.KeepOriginal || len(q.Derived) > 0
	query, args := q.selectQuery(limit + 1)
	var res BulkDeleteResult
	var blobs []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, blobs = BulkDeleteResult{}, nil
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("select assets to delete: %w", err)
		}
		var rowIDs []int64
		var originals []string
		for rows.Next() {
			var d DeletedOriginal
			var row int64
			var blob string
			if err := rows.Scan(&row, &d.PublicID, &d.AssetID, &d.Type, &blob); err != nil {
				rows.Close()
				return err
			}
			rowIDs, originals = append(rowIDs, row), append(originals, blob)
			res.Deleted = append(res.Deleted, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(rowIDs) > limit {
			rowIDs, originals, res.Deleted = rowIDs[:limit], originals[:limit], res.Deleted[:limit]
			res.Partial = true
			if q.Tag != "" {
				res.Next.Row = rowIDs[limit-1]
			} else {
				res.Next.PublicID = res.Deleted[limit-1].PublicID
			}
		}
		index := make(map[int64]int, len(rowIDs))
		for i, row := range rowIDs {
			index[row] = i
		}
		filter, filterArgs := derivedFilter(q.Derived)
		for _, chunk := range chunked(rowIDs, 500) {
			counted, err := deleteDerivedOf(ctx, tx, chunk, filter, filterArgs)
			if err != nil {
				return err
			}
			for _, c := range counted {
				res.Deleted[index[c.asset]].Derived++
				blobs = append(blobs, c.blob)
			}
			if keepOriginal {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM assets WHERE id IN ("+placeholders(len(chunk))+")", int64Args(chunk)...); err != nil {
				return fmt.Errorf("delete assets: %w", err)
			}
		}
		if !keepOriginal {
			for i := range res.Deleted {
				res.Deleted[i].Original = 1
			}
			blobs = append(blobs, originals...)
		}
		return nil
	})
	if err != nil {
		return BulkDeleteResult{}, err
	}
	for _, name := range blobs {
		s.removeBlob(name)
	}
	return res, nil
}

// selectQuery is the query of the next n originals. By tag, it walks the tag's index in row
// order; otherwise the assets' key index in public id order.
func (q BulkDelete) selectQuery(n int) (string, []any) {
	where, args := q.selector()
	from, order := "assets a", "a.public_id, a.id"
	if q.Tag != "" {
		from, order = "asset_tags t CROSS JOIN assets a ON a.id = t.asset", "t.asset"
		where, args = append(where, "t.tag = ?", "t.asset > ?"), append(args, q.Tag, q.After.Row)
	} else {
		where, args = append(where, "a.public_id > ?"), append(args, q.After.PublicID)
	}
	return "SELECT a.id, a.public_id, a.asset_id, a.type, a.blob FROM " + from + " WHERE " +
		strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ?", append(args, n)
}

// selector is the WHERE conditions that pick the originals (by tag: all but the tag).
func (q BulkDelete) selector() ([]string, []any) {
	where := []string{"a.cloud_id = ?"}
	args := []any{q.CloudID}
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.ResourceType != "" {
		add("a.resource_type = ?", q.ResourceType)
	}
	if q.Type != "" {
		add("a.type = ?", q.Type)
	}
	switch {
	case len(q.PublicIDs) > 0:
		add("a.public_id IN ("+placeholders(len(q.PublicIDs))+")", anySlice(q.PublicIDs)...)
	case len(q.AssetIDs) > 0:
		add("a.asset_id IN ("+placeholders(len(q.AssetIDs))+")", anySlice(q.AssetIDs)...)
	case q.Prefix != "":
		add("a.public_id >= ? AND a.public_id < ?", q.Prefix, q.Prefix+"\U0010FFFF")
	case q.Tag != "", q.All:
	default:
		add("0") // no selector selects nothing
	}
	return where, args
}

// derivedFilter is the condition on derived rows that matches, or "" for every row.
func derivedFilter(matches []DerivedMatch) (string, []any) {
	if len(matches) == 0 {
		return "", nil
	}
	var conds []string
	var args []any
	for _, m := range matches {
		if m.Format == "" {
			conds = append(conds, "transformation = ?")
			args = append(args, m.Transformation)
		} else {
			conds = append(conds, "(transformation = ? AND format = ?)")
			args = append(args, m.Transformation, m.Format)
		}
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

type removedDerived struct {
	asset int64
	blob  string
}

// deleteDerivedOf deletes the derived rows of the given assets that match filter and returns
// what it deleted.
func deleteDerivedOf(ctx context.Context, tx *sql.Tx, assetRows []int64, filter string, filterArgs []any) ([]removedDerived, error) {
	query := "DELETE FROM derived WHERE asset IN (" + placeholders(len(assetRows)) + ")"
	args := int64Args(assetRows)
	if filter != "" {
		query += " AND " + filter
		args = append(args, filterArgs...)
	}
	rows, err := tx.QueryContext(ctx, query+" RETURNING asset, blob", args...)
	if err != nil {
		return nil, fmt.Errorf("delete derived: %w", err)
	}
	defer rows.Close()
	var out []removedDerived
	for rows.Next() {
		var r removedDerived
		if err := rows.Scan(&r.asset, &r.blob); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteDerivedByID deletes the cloud's derived files with these ids and returns the ids it found.
func (s *Store) DeleteDerivedByID(ctx context.Context, cloudID int64, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found, blobs []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		found, blobs = nil, nil
		rows, err := tx.QueryContext(ctx, "DELETE FROM derived WHERE id IN ("+placeholders(len(ids))+
			") AND asset IN (SELECT id FROM assets WHERE cloud_id = ?) RETURNING id, blob",
			append(anySlice(ids), cloudID)...)
		if err != nil {
			return fmt.Errorf("delete derived: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, blob string
			if err := rows.Scan(&id, &blob); err != nil {
				return err
			}
			found, blobs = append(found, id), append(blobs, blob)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, name := range blobs {
		s.removeBlob(name)
	}
	return found, nil
}

func chunked(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out, ids = append(out, ids[:n]), ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
