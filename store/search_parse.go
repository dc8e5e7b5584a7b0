package store

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// SearchExpr is a parsed search expression (Cloudinary's Lucene-like language), ready to be
// compiled to SQL. The zero value matches every asset.
type SearchExpr struct{ root searchNode }

// SearchSyntaxError is a search expression that does not parse: what is wrong, and where
// (the 1-based position of the character, counted in characters, not bytes).
type SearchSyntaxError struct {
	Pos int
	Msg string
}

func (e *SearchSyntaxError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// Limits that keep one expression's SQL small and its parse shallow.
const (
	maxExpressionChars = 4096
	maxExpressionTerms = 100
	maxExpressionDepth = 32
)

// searchNode is a node of a parsed expression; each kind compiles itself (search_sql.go).
type searchNode interface{ compile(*sqlWriter) }

type (
	searchAnd []searchNode
	searchOr  []searchNode
	searchNot struct{ inner searchNode }
)

// searchOp is the relation a term states between a field and its value.
type searchOp int

const (
	opMatch searchOp = iota // ":" or "=": equal to (or, with a trailing *, starting with)
	opLess
	opLessEqual
	opGreater
	opGreaterEqual
	opRange // [lo TO hi], {lo TO hi}
)

// searchTerm is one condition: a field and a value, or free text (zero field).
type searchTerm struct {
	field  searchField
	key    string // the KEY of context.KEY
	op     searchOp
	value  searchValue
	lo, hi *searchValue // opRange bounds; nil is unbounded
	loIncl bool
	hiIncl bool
}

// searchValue is a term's value, typed by its field's kind.
type searchValue struct {
	text       string  // text kinds
	prefix     bool    // text kinds: the value ended with an unescaped *
	start, end int64   // integer and date kinds: the values [start, end) the term names
	real       float64 // the real kind
}

// ParseSearchExpression parses a search expression; relative dates ("1d") count back from now.
// An empty expression matches every asset. Errors are *SearchSyntaxError.
func ParseSearchExpression(expr string, now time.Time) (SearchExpr, error) {
	p := &exprParser{src: []rune(expr), now: now}
	if len(p.src) > maxExpressionChars {
		return SearchExpr{}, &SearchSyntaxError{Pos: maxExpressionChars + 1, Msg: fmt.Sprintf("expression longer than %d characters", maxExpressionChars)}
	}
	p.skipSpace()
	if p.eof() {
		return SearchExpr{}, nil
	}
	root, err := p.parseOr()
	if err != nil {
		return SearchExpr{}, err
	}
	p.skipSpace()
	if !p.eof() {
		return SearchExpr{}, p.errorf(p.pos, "unexpected %q", p.peek())
	}
	return SearchExpr{root: root}, nil
}

type exprParser struct {
	src   []rune
	pos   int
	now   time.Time
	depth int
	terms int
}

func (p *exprParser) eof() bool  { return p.pos >= len(p.src) }
func (p *exprParser) peek() rune { return p.src[p.pos] }

func (p *exprParser) errorf(pos int, format string, args ...any) *SearchSyntaxError {
	return &SearchSyntaxError{Pos: pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *exprParser) skipSpace() {
	for !p.eof() && unicode.IsSpace(p.peek()) {
		p.pos++
	}
}

// atKeyword says whether the operator word (AND, OR, NOT: upper case only) comes next.
func (p *exprParser) atKeyword(word string) bool {
	p.skipSpace()
	end := p.pos + len(word)
	if end > len(p.src) || string(p.src[p.pos:end]) != word {
		return false
	}
	return end == len(p.src) || unicode.IsSpace(p.src[end]) || strings.ContainsRune(`()"`, p.src[end])
}

// keyword consumes the operator word when it comes next.
func (p *exprParser) keyword(word string) bool {
	if !p.atKeyword(word) {
		return false
	}
	p.pos += len(word)
	return true
}

// enter counts one level of nesting (a group or a negation) against the depth limit.
func (p *exprParser) enter(pos int) error {
	if p.depth++; p.depth > maxExpressionDepth {
		return p.errorf(pos, "expression nested deeper than %d levels", maxExpressionDepth)
	}
	return nil
}

// parseOr: and-clauses joined by OR (the loosest operator).
func (p *exprParser) parseOr() (searchNode, error) {
	parts, err := p.parseJoined(p.parseAnd, func() bool { return p.keyword("OR") })
	if err != nil || len(parts) == 1 {
		return first(parts), err
	}
	return searchOr(parts), nil
}

// parseAnd: unary clauses joined by AND, or by nothing (implicit AND).
func (p *exprParser) parseAnd() (searchNode, error) {
	parts, err := p.parseJoined(p.parseUnary, func() bool {
		p.skipSpace()
		if p.eof() || p.peek() == ')' || p.atKeyword("OR") {
			return false
		}
		p.keyword("AND")
		return true
	})
	if err != nil || len(parts) == 1 {
		return first(parts), err
	}
	return searchAnd(parts), nil
}

// parseJoined reads operands for as long as another follows (more consumes the operator).
func (p *exprParser) parseJoined(operand func() (searchNode, error), more func() bool) ([]searchNode, error) {
	var parts []searchNode
	for {
		n, err := operand()
		if err != nil {
			return nil, err
		}
		if parts = append(parts, n); !more() {
			return parts, nil
		}
	}
}

func first(parts []searchNode) searchNode {
	if len(parts) == 0 {
		return nil
	}
	return parts[0]
}

// parseUnary: NOT x, -x (must not), +x (must), or x.
func (p *exprParser) parseUnary() (searchNode, error) {
	p.skipSpace()
	start := p.pos
	negate := p.keyword("NOT")
	if !negate && !p.eof() && (p.peek() == '-' || p.peek() == '+') &&
		p.pos+1 < len(p.src) && !unicode.IsSpace(p.src[p.pos+1]) {
		negate = p.peek() == '-'
		p.pos++
	}
	if !negate {
		return p.parsePrimary()
	}
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	inner, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return searchNot{inner}, nil
}

// parsePrimary: a parenthesised expression or a term.
func (p *exprParser) parsePrimary() (searchNode, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(p.pos, "expected a search term")
	}
	for _, word := range []string{"AND", "OR", "NOT"} {
		if p.atKeyword(word) {
			return nil, p.errorf(p.pos, "unexpected %s", word)
		}
	}
	switch p.peek() {
	case '(':
		open := p.pos
		if err := p.enter(open); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.pos++
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.eof() || p.peek() != ')' {
			return nil, p.errorf(p.pos, "missing ) to close the ( at position %d", open+1)
		}
		p.pos++
		return inner, nil
	case ')':
		return nil, p.errorf(p.pos, "unexpected )")
	}
	return p.parseTerm()
}

func isFieldNameChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-'
}

// parseTerm: field:value, field=value, field<value (<=, >, >=), field:[lo TO hi], or free text.
func (p *exprParser) parseTerm() (searchNode, error) {
	if p.terms++; p.terms > maxExpressionTerms {
		return nil, p.errorf(p.pos, "more than %d search terms", maxExpressionTerms)
	}
	start := p.pos
	for !p.eof() && isFieldNameChar(p.peek()) {
		p.pos++
	}
	if p.pos == start || p.eof() || !strings.ContainsRune(":=<>", p.peek()) {
		p.pos = start
		v, err := p.scanValue("")
		if err != nil {
			return nil, err
		}
		return searchTerm{value: v}, nil
	}
	name := string(p.src[start:p.pos])
	field, key, ok := lookupSearchField(name)
	if !ok {
		return nil, p.errorf(start, "unknown field %q", name)
	}
	opPos := p.pos
	op := opMatch
	switch p.peek() {
	case '<':
		op = opLess
	case '>':
		op = opGreater
	}
	p.pos++
	if op != opMatch && !p.eof() && p.peek() == '=' {
		op++ // opLessEqual, opGreaterEqual
		p.pos++
	}
	if op == opMatch && p.src[opPos] == ':' && !p.eof() && (p.peek() == '[' || p.peek() == '{') {
		return p.parseRange(field, key)
	}
	if op != opMatch && (field.kind == kindText || field.kind == kindTags || field.kind == kindContext) {
		return nil, p.errorf(opPos, "%s is not a number or a date: use : or =", name)
	}
	if p.eof() || unicode.IsSpace(p.peek()) || p.peek() == ')' {
		return nil, p.errorf(p.pos, "missing value for %s", name)
	}
	valuePos := p.pos
	raw, err := p.scanValue("")
	if err != nil {
		return nil, err
	}
	v, err := p.typedValue(field, raw, valuePos, op == opMatch)
	if err != nil {
		return nil, err
	}
	return searchTerm{field: field, key: key, op: op, value: v}, nil
}

// parseRange reads [lo TO hi] (inclusive) or {lo TO hi} (exclusive; the two may be mixed); * is
// an open end.
func (p *exprParser) parseRange(field searchField, key string) (searchNode, error) {
	if field.kind == kindText || field.kind == kindTags || field.kind == kindContext {
		return nil, p.errorf(p.pos, "ranges apply to numbers and dates, not %s", field.name)
	}
	open := p.pos
	t := searchTerm{field: field, key: key, op: opRange, loIncl: p.peek() == '['}
	p.pos++
	bounds := [2]**searchValue{&t.lo, &t.hi}
	for i, bound := range bounds {
		p.skipSpace()
		if i == 1 {
			if !p.keyword("TO") {
				return nil, p.errorf(p.pos, "expected TO in the range at position %d", open+1)
			}
			p.skipSpace()
		}
		if p.eof() {
			return nil, p.errorf(p.pos, "unterminated range at position %d", open+1)
		}
		valuePos := p.pos
		raw, err := p.scanValue("]}")
		if err != nil {
			return nil, err
		}
		if raw.text == "" && raw.prefix { // * : open end
			continue
		}
		v, err := p.typedValue(field, raw, valuePos, false)
		if err != nil {
			return nil, err
		}
		*bound = &v
	}
	p.skipSpace()
	if p.eof() || (p.peek() != ']' && p.peek() != '}') {
		return nil, p.errorf(p.pos, "missing ] or } to close the range at position %d", open+1)
	}
	t.hiIncl = p.peek() == ']'
	p.pos++
	return t, nil
}

// scanValue reads a value: "quoted" (where only \" \\ \* need escaping) or a run of characters
// up to a space, a parenthesis or one of stop, with \ escaping the next character. A trailing
// unescaped * makes it a prefix; an unescaped * anywhere else, or a reserved character, is an
// error.
func (p *exprParser) scanValue(stop string) (searchValue, error) {
	var b strings.Builder
	var v searchValue
	start := p.pos
	quoted := p.peek() == '"'
	if quoted {
		p.pos++
	}
	for {
		if p.eof() {
			if quoted {
				return v, p.errorf(start, "unterminated quoted value")
			}
			break
		}
		r := p.peek()
		if quoted && r == '"' {
			p.pos++
			break
		}
		if !quoted && (unicode.IsSpace(r) || r == '(' || r == ')' || strings.ContainsRune(stop, r)) {
			break
		}
		switch {
		case r == '\\':
			if p.pos+1 >= len(p.src) {
				return v, p.errorf(p.pos, "nothing to escape after \\")
			}
			b.WriteRune(p.src[p.pos+1])
			p.pos += 2
			continue
		case r == '*':
			if !p.valueEndsAfter(p.pos+1, quoted, stop) {
				return v, p.errorf(p.pos, "a wildcard * may only end a value")
			}
			v.prefix = true
		case !quoted && strings.ContainsRune(`"[]{}^~?!<>=&|`, r):
			return v, p.errorf(p.pos, "reserved character %q: quote the value or escape it with \\", r)
		default:
			b.WriteRune(r)
		}
		p.pos++
	}
	if b.Len() == 0 && !v.prefix && !quoted {
		return v, p.errorf(start, "expected a value")
	}
	v.text = b.String()
	return v, nil
}

// valueEndsAfter says whether the value being scanned ends at position i.
func (p *exprParser) valueEndsAfter(i int, quoted bool, stop string) bool {
	if quoted {
		return i < len(p.src) && p.src[i] == '"'
	}
	if i >= len(p.src) {
		return true
	}
	r := p.src[i]
	return unicode.IsSpace(r) || r == '(' || r == ')' || strings.ContainsRune(stop, r)
}

// typedValue reads a scanned value as its field's kind wants it.
func (p *exprParser) typedValue(field searchField, raw searchValue, pos int, match bool) (searchValue, error) {
	switch field.kind {
	case kindText, kindTags, kindContext:
		return raw, nil
	}
	if raw.prefix {
		return raw, p.errorf(pos, "wildcards apply to text fields, not %s", field.name)
	}
	var err error
	v := raw
	switch field.kind {
	case kindInteger:
		var n int64
		if n, err = parseSearchInteger(raw.text, field.byteSize); err == nil {
			v.start, v.end = n, n+1
		}
	case kindFloat:
		v.real, err = parseSearchReal(raw.text)
	case kindDate:
		var relative bool
		if v.start, v.end, relative, err = parseSearchDate(raw.text, p.now); err == nil && relative && match {
			err = fmt.Errorf("relative date %s needs <, >, <=, >= or a range", raw.text)
		}
	}
	if err != nil {
		return v, p.errorf(pos, "%s: %v", field.name, err)
	}
	return v, nil
}
