package store

import (
	"strings"
)

// sqlWriter collects a WHERE condition and its arguments. Values only ever travel as arguments;
// the SQL text holds nothing but column expressions from the field table and operators.
type sqlWriter struct {
	b    strings.Builder
	args []any
}

func (w *sqlWriter) write(sql string, args ...any) {
	w.b.WriteString(sql)
	w.args = append(w.args, args...)
}

// searchSource is what a search reads: its FROM clause (the assets row is always "a"), and the
// condition over it with its arguments.
type searchSource struct {
	from string
	cond string
	args []any
}

// source compiles the expression. When it requires one exact tag, the tag's index drives the
// query (CROSS JOIN fixes SQLite's join order): without table statistics SQLite would otherwise
// walk every asset of the cloud and test each against the tag.
func (e SearchExpr) source() searchSource {
	tag, rest, ok := drivingTag(e.root)
	if !ok {
		cond, args := e.condition()
		return searchSource{from: "assets a", cond: cond, args: args}
	}
	var w sqlWriter
	w.write("d.tag = ?", tag)
	if rest != nil {
		w.write(" AND ")
		rest.compile(&w)
	}
	return searchSource{from: "asset_tags d CROSS JOIN assets a ON a.id = d.asset", cond: w.b.String(), args: w.args}
}

// condition is the whole expression as one condition over the assets row "a".
func (e SearchExpr) condition() (string, []any) {
	if e.root == nil {
		return "1", nil
	}
	var w sqlWriter
	e.root.compile(&w)
	return w.b.String(), w.args
}

// drivingTag finds an exact tag the expression requires: the expression itself or one operand of
// its top-level AND. It returns the tag and what else the expression requires (nil: nothing).
func drivingTag(root searchNode) (string, searchNode, bool) {
	if root == nil {
		return "", nil, false
	}
	isTag := func(n searchNode) (string, bool) {
		t, ok := n.(searchTerm)
		return t.value.text, ok && t.field.kind == kindTags && !t.value.prefix
	}
	if tag, ok := isTag(root); ok {
		return tag, nil, true
	}
	and, ok := root.(searchAnd)
	if !ok {
		return "", nil, false
	}
	for i, part := range and {
		if tag, ok := isTag(part); ok {
			rest := append(append(searchAnd{}, and[:i]...), and[i+1:]...)
			if len(rest) == 1 {
				return tag, rest[0], true
			}
			return tag, rest, true
		}
	}
	return "", nil, false
}

func (n searchAnd) compile(w *sqlWriter) { compileJoined(w, n, " AND ") }
func (n searchOr) compile(w *sqlWriter)  { compileJoined(w, n, " OR ") }

func compileJoined(w *sqlWriter, parts []searchNode, sep string) {
	w.write("(")
	for i, part := range parts {
		if i > 0 {
			w.write(sep)
		}
		part.compile(w)
	}
	w.write(")")
}

func (n searchNot) compile(w *sqlWriter) {
	w.write("NOT (")
	n.inner.compile(w)
	w.write(")")
}

// realTolerance makes real equality forgiving of the rounding in printed ratios (1.77778).
const realTolerance = 0.000005

func (t searchTerm) compile(w *sqlWriter) {
	f := t.field
	switch {
	case f.name == "":
		compileFreeText(w, t.value)
	case f.kind == kindText:
		compileTextMatch(w, f.column, t.value)
	case f.kind == kindTags:
		w.write("a.id IN (SELECT asset FROM asset_tags WHERE ")
		compileTextMatch(w, "tag", t.value)
		w.write(")")
	case f.kind == kindContext && t.key == "":
		w.write("a.id IN (SELECT asset FROM asset_context WHERE ")
		compileTextMatch(w, "key", t.value)
		w.write(")")
	case f.kind == kindContext:
		w.write("a.id IN (SELECT asset FROM asset_context WHERE key = ? AND ", t.key)
		compileTextMatch(w, "value", t.value)
		w.write(")")
	case f.kind == kindFloat:
		compileRealTerm(w, t)
	default:
		compileIntegerTerm(w, t)
	}
}

// compileTextMatch: equal, or starting with the value when it ended with *; a lone * is any
// non-empty value.
func compileTextMatch(w *sqlWriter, column string, v searchValue) {
	switch {
	case !v.prefix:
		w.write(column+" = ?", v.text)
	case v.text == "":
		w.write(column + " <> ''")
	default: // a range, so that an index on the column serves it
		w.write("("+column+" >= ? AND "+column+" < ?)", v.text, v.text+"\U0010FFFF")
	}
}

// compileIntegerTerm compares an integer or date column with values that name the span
// [start, end): x:v is within it, x>v after it, x<v before it.
func compileIntegerTerm(w *sqlWriter, t searchTerm) {
	col := t.field.column
	v := t.value
	switch t.op {
	case opMatch:
		if v.end == v.start+1 {
			w.write(col+" = ?", v.start)
		} else {
			w.write("("+col+" >= ? AND "+col+" < ?)", v.start, v.end)
		}
	case opGreater:
		w.write(col+" >= ?", v.end)
	case opGreaterEqual:
		w.write(col+" >= ?", v.start)
	case opLess:
		w.write(col+" < ?", v.start)
	case opLessEqual:
		w.write(col+" < ?", v.end)
	case opRange:
		w.write("(1")
		if t.lo != nil {
			from := t.lo.end
			if t.loIncl {
				from = t.lo.start
			}
			w.write(" AND "+col+" >= ?", from)
		}
		if t.hi != nil {
			to := t.hi.start
			if t.hiIncl {
				to = t.hi.end
			}
			w.write(" AND "+col+" < ?", to)
		}
		w.write(")")
	}
}

func compileRealTerm(w *sqlWriter, t searchTerm) {
	col := t.field.column
	x := t.value.real
	switch t.op {
	case opMatch:
		w.write("("+col+" BETWEEN ? AND ?)", x-realTolerance, x+realTolerance)
	case opGreater:
		w.write(col+" > ?", x)
	case opGreaterEqual:
		w.write(col+" >= ?", x)
	case opLess:
		w.write(col+" < ?", x)
	case opLessEqual:
		w.write(col+" <= ?", x)
	case opRange:
		w.write("(1")
		if t.lo != nil {
			w.write(" AND "+col+realBound(">", t.loIncl), t.lo.real)
		}
		if t.hi != nil {
			w.write(" AND "+col+realBound("<", t.hiIncl), t.hi.real)
		}
		w.write(")")
	}
}

// realBound is the comparison with a range bound: cmp, or-equal when the bound is inclusive.
func realBound(cmp string, inclusive bool) string {
	if inclusive {
		return " " + cmp + "= ?"
	}
	return " " + cmp + " ?"
}

// freeTextColumns are the string columns a term without a field searches (besides tags and
// context values): the public id (which holds the filename), display name and asset folder.
var freeTextColumns = []string{"a.public_id", "a.display_name", "a.asset_folder"}

// compileFreeText matches a term without a field: a case-insensitive substring of the public id,
// display name, asset folder, a tag or a context value. A lone * matches every asset.
func compileFreeText(w *sqlWriter, v searchValue) {
	if v.text == "" && v.prefix {
		w.write("1")
		return
	}
	pattern := "%" + escapeLike(v.text) + "%"
	w.write("(")
	for _, col := range freeTextColumns {
		w.write(col+` LIKE ? ESCAPE '\' OR `, pattern)
	}
	w.write(`a.id IN (SELECT asset FROM asset_tags WHERE tag LIKE ? ESCAPE '\')`, pattern)
	w.write(` OR a.id IN (SELECT asset FROM asset_context WHERE value LIKE ? ESCAPE '\'))`, pattern)
}

// escapeLike makes s match itself literally in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
