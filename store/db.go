package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the catalogue (SQLite) and the files of one data directory.
type Store struct {
	dir    string
	writer *sql.DB    // one connection: SQLite allows one writer at a time
	reader readerPool // a pool for concurrent reads (WAL)
	blobs  blobDir
	lock   *os.File // held from Open to Close (lock.go)

	// generation counts committed write transactions: a reader that remembers what it read
	// may keep it while the number has not moved (see Generation).
	generation atomic.Uint64

	clouds cloudCache // CloudByName's answers

	derived derivedQueue // variant rows waiting to commit together

	// afterBlobWrite, when set (tests only), runs after a blob is in place and before its row
	// commits, so a test can inject the failure a crash would cause there.
	afterBlobWrite func() error
}

// Open opens (creating if needed) the data directory dir, applies pending migrations and removes
// files that no row refers to (left by a crash between a blob write and its commit). The store
// holds the directory's lock until Close: a second Open of the same directory gets ErrLocked.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, dbFileName)
	writer, err := openDB(dbPath, true)
	if err != nil {
		lock.Close()
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		lock.Close()
		return nil, err
	}
	reader, err := openDB(dbPath, false)
	if err != nil {
		writer.Close()
		lock.Close()
		return nil, err
	}
	// Idle readers stay open (database/sql keeps 2 by default): under load, reopening one per
	// query cost a connection set-up with its pragmas.
	reader.SetMaxOpenConns(8)
	reader.SetMaxIdleConns(8)
	s := &Store{dir: dir, writer: writer, blobs: blobDir{root: dir}, lock: lock}
	s.reader = readerPool{DB: reader, beforeRead: s.commitQueuedDerived}
	s.derived.delay = derivedCommitDelay
	if err := s.blobs.init(); err != nil {
		s.Close()
		return nil, err
	}
	if _, err := s.SweepOrphans(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openDB(path string, write bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if write {
		q.Set("_txlock", "immediate")
	}
	db := sql.OpenDB(cachingConnector{dsn: "file:" + path + "?" + q.Encode()})
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// pointLookup is ctx without its cancellation, for the queries delivery makes on every request:
// a lookup by unique key takes microseconds, and a cancellable context sets up two goroutines
// per query to watch it (database/sql's and the driver's), which makes the lookup cost half as
// much again (25 against 17 µs of CPU on the benchmark's 100,000-asset catalogue).
func pointLookup(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// dbFileName is the SQLite database inside a data directory.
const dbFileName = "cloudlet.db"

// Close checkpoints the WAL into the database file, closes the database and releases the
// directory's lock. A failed checkpoint is returned: the data is safe in the WAL, but the
// caller should know the shutdown was not clean.
func (s *Store) Close() error {
	if s.reader.DB != nil {
		s.commitQueuedDerived()
		s.reader.Close()
	}
	_, cpErr := s.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	err := s.writer.Close()
	if s.lock != nil {
		s.lock.Close()
	}
	if cpErr != nil {
		return fmt.Errorf("checkpoint: %w", cpErr)
	}
	return err
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// migrate applies the embedded migrations numbered above PRAGMA user_version, in order, each in
// its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if _, err := fmt.Sscanf(filepath.Base(name), "%d_", &n); err != nil {
			return fmt.Errorf("migration %s: name must start with its number", name)
		}
		if n <= current {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction and commits it when fn returns nil. ctx bounds only the
// wait for the writer connection. The transaction itself runs with a context that is never
// cancelled, which fn must use: a cancellation interrupts SQLite mid-statement, and the driver
// may then report the context's error for a statement that took effect (a BEGIN, say), leaving
// the one writer connection inside a transaction that nothing will end — every later write fails.
// The queued variant rows commit first, so that fn sees them; fn must not read through s.reader,
// which would commit them again and wait for the writer connection that fn holds.
func (s *Store) inTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	s.commitQueuedDerived()
	if err := s.writeTx(ctx, fn); err != nil {
		return err
	}
	s.generation.Add(1)
	return nil
}

// writeTx is inTx without committing the queued variant rows first, and without moving the
// generation on.
func (s *Store) writeTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	ctx = context.WithoutCancel(ctx)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Generation is a number that changes after every committed write to the catalogue but one that
// only adds variants' rows (derived_queue.go: a new row records a file that delivery already
// finds, and changes no answer). Something read while it was g is still what the catalogue says
// as long as it is g; so the HTTP layer may remember what a delivery URL resolved to without
// asking again.
func (s *Store) Generation() uint64 { return s.generation.Load() }

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
