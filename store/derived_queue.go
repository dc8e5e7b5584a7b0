package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// derivedCommitDelay is how long a variant's row may wait, its file written, for others to
// commit with it. A first-time delivery answers as soon as its file is in place: one
// transaction for the rows of every variant made meanwhile costs a fraction of one each
// (at 200 first-time requests a second, the row commits were 3% of the server's CPU).
const derivedCommitDelay = 20 * time.Millisecond

// derivedQueue holds the rows of variants whose files are written and whose rows are not yet
// committed. Every other use of the catalogue commits them first (inTx and readerPool), so
// nothing that reads or writes the catalogue sees a variant's file without its row. A crash
// loses the queued rows and leaves their files, orphans that the next start-up sweeps; the
// variants are made again when asked for.
type derivedQueue struct {
	mu     sync.Mutex
	rows   []queuedDerived
	queued atomic.Int64 // rows queued or being committed
	commit sync.Mutex   // one commit at a time: a caller returns after the rows queued before it
	delay  time.Duration
}

// queuedDerived is a variant's row with the version of the asset its file was made from.
type queuedDerived struct {
	assetRow  int64
	versionID string
	d         Derived
}

// queueDerived queues d's row, made from a's current version, and arms the commit when d is the
// first in the queue.
func (s *Store) queueDerived(a Asset, d Derived) {
	q := &s.derived
	q.queued.Add(1)
	q.mu.Lock()
	q.rows = append(q.rows, queuedDerived{assetRow: a.rowID, versionID: a.VersionID, d: d})
	first := len(q.rows) == 1
	q.mu.Unlock()
	if first {
		time.AfterFunc(q.delay, s.commitQueuedDerived)
	}
}

// commitQueuedDerived commits every queued row in one transaction, and returns once the rows
// queued before the call are committed or dropped. A row whose asset is gone or has another
// version by now is not kept, nor its file; when the transaction fails, no row is kept and every
// file is removed (each variant is made again when asked for). Failures are logged: the
// catalogue stays whole either way.
func (s *Store) commitQueuedDerived() {
	q := &s.derived
	if q.queued.Load() == 0 {
		return
	}
	q.commit.Lock()
	defer q.commit.Unlock()
	q.mu.Lock()
	rows := q.rows
	q.rows = nil
	q.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	defer q.queued.Add(-int64(len(rows)))
	var stale []string
	err := s.writeTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		if s.afterBlobWrite != nil {
			if err := s.afterBlobWrite(); err != nil {
				return err
			}
		}
		for _, r := range rows {
			kept, err := insertDerived(ctx, tx, r)
			if err != nil {
				return err
			}
			if !kept {
				stale = append(stale, r.d.Blob)
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("commit derived rows", "rows", len(rows), "err", err)
		stale = make([]string, 0, len(rows))
		for _, r := range rows {
			stale = append(stale, r.d.Blob)
		}
		s.generation.Add(1) // a remembered answer may be one of those files
	}
	for _, name := range stale {
		s.removeBlob(name)
	}
}

// insertDerived writes r's row, only while its asset still has the version the file was made
// from; it says whether it did. The statement also records the use of r.d.Requested (the derived
// table's triggers, migration 0009).
func insertDerived(ctx context.Context, tx *sql.Tx, r queuedDerived) (bool, error) {
	d := r.d
	res, err := tx.ExecContext(ctx, `INSERT INTO derived (id, asset, transformation,
		format, blob, bytes, width, height, etag, created_at, requested)
		SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM assets WHERE id = ? AND version_id = ?
		ON CONFLICT (id) DO UPDATE SET blob = excluded.blob, bytes = excluded.bytes, width = excluded.width,
		height = excluded.height, etag = excluded.etag, requested = excluded.requested`,
		d.ID, d.Transformation, d.Format, d.Blob, d.Bytes, d.Width, d.Height, d.ETag, d.CreatedAt.Unix(),
		d.Requested, r.assetRow, r.versionID)
	if err != nil {
		return false, fmt.Errorf("insert derived: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// readerPool is the pool of read connections. Its queries commit the queued variant rows first,
// so that a read agrees with the files on disk.
type readerPool struct {
	*sql.DB
	beforeRead func()
}

func (r readerPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.beforeRead()
	return r.DB.QueryContext(ctx, query, args...)
}

func (r readerPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.beforeRead()
	return r.DB.QueryRowContext(ctx, query, args...)
}

func (r readerPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	r.beforeRead()
	return r.DB.BeginTx(ctx, opts)
}
