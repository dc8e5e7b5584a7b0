package store

import (
	"context"
	"database/sql/driver"

	"modernc.org/sqlite"
)

// stmtCacheMax bounds the statements one connection keeps; a full cache starts over. The
// store's queries are a hundred or so fixed texts, and searches add their own.
const stmtCacheMax = 256

// cachingConnector opens SQLite connections that keep every query they run prepared for the
// next time. Parsing and planning a statement costs SQLite more than running a point query,
// and the driver parses a query given as text on every call.
type cachingConnector struct {
	dsn string
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{sqliteConn: conn.(sqliteConn), stmts: map[string]*cachedStmt{}}, nil
}

func (cachingConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// sqliteConn is what database/sql uses of the driver's connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// cachingConn runs queries given as text on statements it prepared before. database/sql uses
// a connection from one goroutine at a time, so its map needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	driver.Stmt
	open    bool // rows of it are being read: a second use must not reset it under them
	evicted bool // out of the cache while open: its rows close it
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st := c.stmt(ctx, query)
	if st == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return st.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st := c.stmt(ctx, query)
	if st == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := st.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	st.open = true
	return &cachedRows{Rows: rows, st: st}, nil
}

// stmt is query's statement, prepared now if new; nil when the text must run as such: its
// statement is in use, or does not prepare (the driver reports the error on the text).
func (c *cachingConn) stmt(ctx context.Context, query string) *cachedStmt {
	if st, ok := c.stmts[query]; ok {
		if st.open {
			return nil
		}
		return st
	}
	if len(c.stmts) >= stmtCacheMax {
		c.closeStmts()
	}
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	st := &cachedStmt{Stmt: s}
	c.stmts[query] = st
	return st
}

// closeStmts forgets the cached statements; one whose rows are open is closed by them.
func (c *cachingConn) closeStmts() {
	for query, st := range c.stmts {
		if st.open {
			st.evicted = true
		} else {
			st.Close()
		}
		delete(c.stmts, query)
	}
}

func (c *cachingConn) Close() error {
	for _, st := range c.stmts {
		st.Close()
	}
	return c.sqliteConn.Close()
}

// cachedRows gives the statement back when the rows are done with.
type cachedRows struct {
	driver.Rows
	st *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.st.open = false
	if r.st.evicted {
		r.st.Close()
	}
	return err
}
