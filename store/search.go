package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
)

// SearchSort orders search results by one field.
type SearchSort struct {
	Field      string
	Descending bool
}

// defaultSearchSort is Cloudinary's order when sort_by is not given: newest first.
var defaultSearchSort = []SearchSort{{Field: "created_at", Descending: true}}

// ParseSearchSort reads one sort_by entry: a sortable field and "asc" or "desc".
func ParseSearchSort(field, direction string) (SearchSort, error) {
	f, key, ok := lookupSearchField(field)
	if !ok || key != "" || !f.sortable {
		return SearchSort{}, fmt.Errorf("cannot sort by %q", field)
	}
	switch strings.ToLower(direction) {
	case "asc":
		return SearchSort{Field: field}, nil
	case "desc":
		return SearchSort{Field: field, Descending: true}, nil
	}
	return SearchSort{}, fmt.Errorf("invalid sort direction %q for %s: use asc or desc", direction, field)
}

// searchAggregates are the fields a search can count its matches by, with their columns.
var searchAggregates = map[string]string{"format": "a.format", "resource_type": "a.resource_type", "type": "a.type"}

// IsSearchAggregate says whether a search can aggregate its matches by field.
func IsSearchAggregate(field string) bool {
	_, ok := searchAggregates[field]
	return ok
}

// SearchQuery is one search request of a cloud.
type SearchQuery struct {
	CloudID    int64
	Expr       SearchExpr
	Sort       []SearchSort // empty: created_at descending
	Limit      int          // results on the page; 0 counts (and aggregates) only
	After      SearchCursor // resume after this result (zero: the first page)
	Aggregate  []string     // fields to count the matches by (IsSearchAggregate)
	WithLabels bool         // load tags and context
}

// SearchCursor is where a page of results ended: the last result's sort values and row id,
// with the sort they belong to, so that a cursor only resumes the search order that made it.
type SearchCursor struct {
	Sort   string `json:"s"`
	Values []any  `json:"v"`
	Row    int64  `json:"r"`
}

// IsZero says whether the cursor is the start of the results.
func (c SearchCursor) IsZero() bool { return c.Sort == "" && len(c.Values) == 0 && c.Row == 0 }

// ErrSearchCursor is a cursor that does not resume the search it was given to.
var ErrSearchCursor = errors.New("the cursor does not belong to this search")

// SearchResult is one page of matches, the number of all matches, and the aggregations asked for.
type SearchResult struct {
	Total        int
	Assets       []Asset
	Next         SearchCursor // zero when this page is the last
	Aggregations map[string]map[string]int
}

// Search runs a search: the count, the aggregations and the page come from one snapshot of the
// catalogue. Pages are keyset-ordered on the sort fields and the row id, so inserts and deletes
// between pages never repeat or skip a result.
func (s *Store) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	sorts := q.Sort
	if len(sorts) == 0 {
		sorts = defaultSearchSort
	}
	src := q.Expr.source()
	src.cond = "a.cloud_id = ? AND " + src.cond
	src.args = append([]any{q.CloudID}, src.args...)

	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return SearchResult{}, fmt.Errorf("search: %w", err)
	}
	defer tx.Rollback()
	var res SearchResult
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+src.from+" WHERE "+src.cond, src.args...).Scan(&res.Total); err != nil {
		return SearchResult{}, fmt.Errorf("search count: %w", err)
	}
	if len(q.Aggregate) > 0 {
		if res.Aggregations, err = aggregate(ctx, tx, q.Aggregate, src); err != nil {
			return SearchResult{}, err
		}
	}
	if q.Limit <= 0 {
		return res, nil
	}
	if res.Assets, res.Next, err = searchPage(ctx, tx, sorts, q, src); err != nil {
		return SearchResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return SearchResult{}, err
	}
	if q.WithLabels {
		if err := s.loadPageLabels(ctx, res.Assets); err != nil {
			return SearchResult{}, err
		}
	}
	return res, nil
}

// aggregate counts the matches by each field's value.
func aggregate(ctx context.Context, tx *sql.Tx, fields []string, src searchSource) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	for _, field := range fields {
		col, ok := searchAggregates[field]
		if !ok {
			return nil, fmt.Errorf("cannot aggregate by %q", field)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+col+", COUNT(*) FROM "+src.from+" WHERE "+src.cond+" GROUP BY 1", src.args...)
		if err != nil {
			return nil, fmt.Errorf("search aggregate %s: %w", field, err)
		}
		counts := map[string]int{}
		for rows.Next() {
			var value string
			var n int
			if err := rows.Scan(&value, &n); err != nil {
				rows.Close()
				return nil, err
			}
			counts[value] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out[field] = counts
	}
	return out, nil
}

// searchPage reads one page in sort order after q.After, and the cursor of the next page.
func searchPage(ctx context.Context, tx *sql.Tx, sorts []SearchSort, q SearchQuery, src searchSource) ([]Asset, SearchCursor, error) {
	ks, err := newKeyset(sorts)
	if err != nil {
		return nil, SearchCursor{}, err
	}
	cond, args := src.cond, src.args
	if !q.After.IsZero() {
		after, afterArgs, err := ks.after(q.After)
		if err != nil {
			return nil, SearchCursor{}, err
		}
		cond += " AND " + after
		args = append(args, afterArgs...)
	}
	query := "SELECT " + prefixed(assetColumns, "a.") + ", " + strings.Join(ks.columns, ", ") +
		" FROM " + src.from + " WHERE " + cond + " ORDER BY " + ks.orderBy() + " LIMIT ?"
	rows, err := tx.QueryContext(ctx, query, append(args, q.Limit+1)...)
	if err != nil {
		return nil, SearchCursor{}, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var page []Asset
	var lastKeys []any
	for rows.Next() {
		keys := make([]any, len(ks.columns))
		a, err := scanAsset(withExtraColumns{rows, keys})
		if err != nil {
			return nil, SearchCursor{}, err
		}
		if len(page) == q.Limit { // the one beyond the page: there is a next page
			return page, SearchCursor{Sort: ks.signature, Values: lastKeys, Row: page[len(page)-1].rowID}, rows.Err()
		}
		page, lastKeys = append(page, a), keys
	}
	return page, SearchCursor{}, rows.Err()
}

// withExtraColumns scans an asset row followed by more columns (its sort values).
type withExtraColumns struct {
	rows  *sql.Rows
	extra []any
}

func (w withExtraColumns) Scan(dest ...any) error {
	for i := range w.extra {
		dest = append(dest, &w.extra[i])
	}
	return w.rows.Scan(dest...)
}

// keyset is the order of a search: its sort columns then the row id, which makes it total.
type keyset struct {
	columns   []string // the sort fields' SQL expressions
	kinds     []searchKind
	desc      []bool // per column, then for the row id
	signature string // the sort, as a cursor records it
}

func newKeyset(sorts []SearchSort) (keyset, error) {
	var ks keyset
	var sig []string
	for _, s := range sorts {
		f, _, ok := lookupSearchField(s.Field)
		if !ok || !f.sortable {
			return keyset{}, fmt.Errorf("cannot sort by %q", s.Field)
		}
		ks.columns = append(ks.columns, f.column)
		ks.kinds = append(ks.kinds, f.kind)
		ks.desc = append(ks.desc, s.Descending)
		dir := "asc"
		if s.Descending {
			dir = "desc"
		}
		sig = append(sig, s.Field+":"+dir)
	}
	ks.desc = append(ks.desc, ks.desc[len(ks.desc)-1]) // ties by row id, the same way as the last field
	ks.signature = strings.Join(sig, ",")
	return ks, nil
}

func (ks keyset) orderBy() string {
	parts := make([]string, 0, len(ks.desc))
	for i, d := range ks.desc {
		col := "a.id"
		if i < len(ks.columns) {
			col = ks.columns[i]
		}
		parts = append(parts, col+sqlDirection(d))
	}
	return strings.Join(parts, ", ")
}

// after is the condition "comes after the cursor in this order": (k1 beyond v1) OR (k1 = v1 AND
// k2 beyond v2) ... OR (all equal AND id beyond row).
func (ks keyset) after(c SearchCursor) (string, []any, error) {
	if c.Sort != ks.signature || len(c.Values) != len(ks.columns) || c.Row <= 0 {
		return "", nil, ErrSearchCursor
	}
	values := make([]any, 0, len(c.Values)+1)
	for i, v := range c.Values {
		typed, ok := cursorValue(ks.kinds[i], v)
		if !ok {
			return "", nil, ErrSearchCursor
		}
		values = append(values, typed)
	}
	values = append(values, c.Row)
	columns := append(append([]string(nil), ks.columns...), "a.id")
	if ks.uniform() { // one direction: a row-value comparison, which SQLite seeks in an index
		return "(" + strings.Join(columns, ", ") + ")" + beyond(ks.desc[0]) + "(" + placeholders(len(values)) + ")", values, nil
	}
	var ors []string
	var args []any
	for i := range columns {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, columns[j]+" = ?")
			args = append(args, values[j])
		}
		ands = append(ands, columns[i]+beyond(ks.desc[i])+"?")
		args = append(args, values[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// uniform says whether every key goes the same direction.
func (ks keyset) uniform() bool {
	for _, d := range ks.desc {
		if d != ks.desc[0] {
			return false
		}
	}
	return true
}

// beyond is the comparison that means "later in the order" for a key of that direction.
func beyond(desc bool) string {
	if desc {
		return " < "
	}
	return " > "
}

func sqlDirection(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

// cursorValue checks a sort value read back from a cursor (JSON: numbers are float64) against
// its field's kind and gives it the column's type.
func cursorValue(kind searchKind, v any) (any, bool) {
	switch kind {
	case kindInteger, kindDate:
		switch n := v.(type) {
		case int64:
			return n, true
		case float64:
			if n != math.Trunc(n) || math.Abs(n) > 1<<62 {
				return nil, false
			}
			return int64(n), true
		}
	case kindFloat:
		n, ok := v.(float64)
		return n, ok && !isOdd(n)
	default:
		s, ok := v.(string)
		return s, ok
	}
	return nil, false
}
