package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// openCaching is a one-connection database over a fresh file, with table n holding 1..rows.
func openCaching(t *testing.T, rows int) (*sql.DB, *sql.Conn) {
	t.Helper()
	db := sql.OpenDB(cachingConnector{dsn: "file:" + filepath.Join(t.TempDir(), "t.db")})
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE n (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= rows; i++ {
		if _, err := db.ExecContext(ctx, "INSERT INTO n (v) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return db, conn
}

func cached(t *testing.T, conn *sql.Conn) map[string]*cachedStmt {
	t.Helper()
	var stmts map[string]*cachedStmt
	if err := conn.Raw(func(dc any) error { stmts = dc.(*cachingConn).stmts; return nil }); err != nil {
		t.Fatal(err)
	}
	return stmts
}

func sum(t *testing.T, rows *sql.Rows) int {
	t.Helper()
	total := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		total += v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// A query text is prepared once per connection and its statement reused with new arguments.
func TestQueriesArePreparedOnce(t *testing.T) {
	_, conn := openCaching(t, 10)
	ctx := context.Background()
	const q = "SELECT v FROM n WHERE v > ?"
	for above, want := range map[int]int{0: 55, 5: 40, 9: 10} {
		rows, err := conn.QueryContext(ctx, q, above)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, rows); got != want {
			t.Errorf("sum above %d: %d, want %d", above, got, want)
		}
		rows.Close()
	}
	first := cached(t, conn)[q]
	if first == nil {
		t.Fatal("the query's statement is not kept")
	}
	var v int
	if err := conn.QueryRowContext(ctx, q, 9).Scan(&v); err != nil || v != 10 {
		t.Fatalf("row above 9: %d, %v", v, err)
	}
	if cached(t, conn)[q] != first {
		t.Error("the query was prepared again")
	}
}

// A query run again while rows of its statement are still being read gets a statement of its
// own: the first rows are not reset under their reader.
func TestQueryWhileItsRowsAreOpen(t *testing.T) {
	_, conn := openCaching(t, 10)
	ctx := context.Background()
	const q = "SELECT v FROM n WHERE v > ? ORDER BY v"
	outer, err := conn.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	read := 0
	for outer.Next() {
		var v int
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		read++
		if v != read {
			t.Fatalf("outer row %d is %d", read, v)
		}
		if read == 3 {
			inner, err := conn.QueryContext(ctx, q, 8)
			if err != nil {
				t.Fatal(err)
			}
			if got := sum(t, inner); got != 19 {
				t.Errorf("inner query: sum %d, want 19", got)
			}
			inner.Close()
		}
	}
	if read != 10 {
		t.Errorf("outer query read %d rows, want 10", read)
	}
}

// A full cache starts over; a statement whose rows are open when it does keeps working and is
// closed with its rows.
func TestFullStatementCacheStartsOver(t *testing.T) {
	_, conn := openCaching(t, 3)
	ctx := context.Background()
	open, err := conn.QueryContext(ctx, "SELECT v FROM n ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	if !open.Next() {
		t.Fatal("no first row")
	}
	for i := range stmtCacheMax + 5 {
		var v int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&v); err != nil || v != i {
			t.Fatalf("SELECT %d: %d, %v", i, v, err)
		}
	}
	if n := len(cached(t, conn)); n > stmtCacheMax {
		t.Errorf("%d statements kept, more than %d", n, stmtCacheMax)
	}
	if got := 1 + sum(t, open); got != 6 {
		t.Errorf("the open rows summed to %d after the cache started over, want 6", got)
	}
	if err := open.Close(); err != nil {
		t.Fatal(err)
	}
}

// A query that does not prepare fails as it would without the cache, and is not kept.
func TestBadQueryIsReportedAndNotKept(t *testing.T) {
	_, conn := openCaching(t, 1)
	_, err := conn.ExecContext(context.Background(), "SELEC v FROM n")
	if err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("error %v, want SQLite's syntax error", err)
	}
	if _, ok := cached(t, conn)["SELEC v FROM n"]; ok {
		t.Error("a query that does not prepare is kept")
	}
}
