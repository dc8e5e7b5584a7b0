package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ListQuery selects a page of one cloud's assets. Zero fields do not filter.
type ListQuery struct {
	CloudID      int64
	ResourceType string
	Type         string
	Prefix       string   // public id prefix; the page is then ordered by public id
	Tag          string   // assets with this tag
	ContextKey   string   // assets with this context key...
	ContextValue string   // ...and, when set, this value
	PublicIDs    []string // exactly these public ids (with Type)
	AssetIDs     []string // exactly these asset ids
	AssetFolder  string   // assets in this asset folder
	StartAt      time.Time
	Ascending    bool
	Limit        int
	After        ListCursor // resume after this item (zero: the first page)
	WithLabels   bool       // load tags and context
}

// ListCursor is the sort key of the last item of a page: creation time and row id, or the
// public id (and type, which breaks ties between types) for prefix listings.
type ListCursor struct {
	Created  int64  `json:"c,omitempty"`
	Row      int64  `json:"r,omitempty"`
	PublicID string `json:"p,omitempty"`
	Type     string `json:"t,omitempty"`
}

// IsZero says whether the cursor is the start of the listing.
func (c ListCursor) IsZero() bool { return c == ListCursor{} }

// ListAssets returns one page and the cursor of the next one (zero when this page is the last).
// Pages are keyset-ordered, so concurrent inserts and deletes never repeat or skip an item.
func (s *Store) ListAssets(ctx context.Context, q ListQuery) ([]Asset, ListCursor, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	add("a.cloud_id = ?", q.CloudID)
	if q.ResourceType != "" {
		add("a.resource_type = ?", q.ResourceType)
	}
	if q.Type != "" {
		add("a.type = ?", q.Type)
	}
	if q.Prefix != "" {
		add("a.public_id >= ? AND a.public_id < ?", q.Prefix, q.Prefix+"\U0010FFFF")
	}
	if q.Tag != "" {
		add("a.id IN (SELECT asset FROM asset_tags WHERE tag = ?)", q.Tag)
	}
	if q.ContextKey != "" {
		if q.ContextValue != "" {
			add("a.id IN (SELECT asset FROM asset_context WHERE key = ? AND value = ?)", q.ContextKey, q.ContextValue)
		} else {
			add("a.id IN (SELECT asset FROM asset_context WHERE key = ?)", q.ContextKey)
		}
	}
	if len(q.PublicIDs) > 0 {
		add("a.public_id IN ("+placeholders(len(q.PublicIDs))+")", anySlice(q.PublicIDs)...)
	}
	if len(q.AssetIDs) > 0 {
		add("a.asset_id IN ("+placeholders(len(q.AssetIDs))+")", anySlice(q.AssetIDs)...)
	}
	if q.AssetFolder != "" {
		add("a.asset_folder = ?", q.AssetFolder)
	}
	if !q.StartAt.IsZero() {
		add("a.created_at >= ?", q.StartAt.Unix())
	}
	byPublicID := q.Prefix != ""
	dir, cmp := "DESC", "<"
	if q.Ascending || byPublicID {
		dir, cmp = "ASC", ">"
	}
	order := fmt.Sprintf("a.created_at %s, a.id %s", dir, dir)
	if byPublicID {
		order = "a.public_id ASC, a.type ASC"
	}
	if !q.After.IsZero() {
		if byPublicID {
			add("(a.public_id, a.type) > (?, ?)", q.After.PublicID, q.After.Type)
		} else {
			add("(a.created_at, a.id) "+cmp+" (?, ?)", q.After.Created, q.After.Row)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	query := "SELECT " + prefixed(assetColumns, "a.") + " FROM assets a WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + order + " LIMIT ?"
	rows, err := s.reader.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, ListCursor{}, fmt.Errorf("list assets: %w", err)
	}
	var page []Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			rows.Close()
			return nil, ListCursor{}, err
		}
		page = append(page, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, ListCursor{}, err
	}
	var next ListCursor
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		if byPublicID {
			next = ListCursor{PublicID: last.PublicID, Type: last.Type}
		} else {
			next = ListCursor{Created: last.CreatedAt.Unix(), Row: last.rowID}
		}
	}
	if q.WithLabels {
		if err := s.loadPageLabels(ctx, page); err != nil {
			return nil, ListCursor{}, err
		}
	}
	return page, next, nil
}

// loadPageLabels fills tags and context for a page of assets in two queries.
func (s *Store) loadPageLabels(ctx context.Context, page []Asset) error {
	if len(page) == 0 {
		return nil
	}
	byRow := make(map[int64]*Asset, len(page))
	ids := make([]any, len(page))
	for i := range page {
		page[i].Tags, page[i].Context = []string{}, map[string]string{}
		byRow[page[i].rowID] = &page[i]
		ids[i] = page[i].rowID
	}
	in := "(" + placeholders(len(ids)) + ")"
	rows, err := s.reader.QueryContext(ctx, "SELECT asset, tag FROM asset_tags WHERE asset IN "+in+" ORDER BY tag", ids...)
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	for rows.Next() {
		var row int64
		var tag string
		if err := rows.Scan(&row, &tag); err != nil {
			rows.Close()
			return err
		}
		byRow[row].Tags = append(byRow[row].Tags, tag)
	}
	rows.Close()
	rows, err = s.reader.QueryContext(ctx, "SELECT asset, key, value FROM asset_context WHERE asset IN "+in, ids...)
	if err != nil {
		return fmt.Errorf("read context: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row int64
		var k, v string
		if err := rows.Scan(&row, &k, &v); err != nil {
			return err
		}
		byRow[row].Context[k] = v
	}
	return rows.Err()
}

// ListTags returns one page of a cloud's tags for a resource type, in name order, after the
// tag `after`, and whether more follow.
func (s *Store) ListTags(ctx context.Context, cloudID int64, resourceType, prefix, after string, limit int) ([]string, bool, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT DISTINCT t.tag FROM asset_tags t JOIN assets a ON a.id = t.asset
		WHERE a.cloud_id = ? AND a.resource_type = ? AND t.tag >= ? AND t.tag < ? AND t.tag > ?
		ORDER BY t.tag LIMIT ?`, cloudID, resourceType, prefix, prefix+"\U0010FFFF", after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list tags: %w", err)
	}
	defer rows.Close()
	tags := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, false, err
		}
		tags = append(tags, t)
	}
	more := len(tags) > limit
	if more {
		tags = tags[:limit]
	}
	return tags, more, rows.Err()
}

// AssetByAssetID returns the cloud's asset with this asset id, or ErrNotFound.
func (s *Store) AssetByAssetID(ctx context.Context, cloudID int64, assetID string) (Asset, error) {
	page, _, err := s.ListAssets(ctx, ListQuery{CloudID: cloudID, AssetIDs: []string{assetID}, Limit: 1, WithLabels: true})
	if err != nil {
		return Asset{}, err
	}
	if len(page) == 0 {
		return Asset{}, ErrNotFound
	}
	return page[0], nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(columns, alias string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
