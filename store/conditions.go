package store

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Storage conditions: failures of the data directory that are no fault of the request and
// that clear by themselves or by an operator's hand (space freed, the disk remounted writable,
// a long transaction finished). Nothing is left half-written when one occurs.
var (
	ErrStorageFull     = errors.New("storage full")
	ErrStorageReadOnly = errors.New("storage read-only")
	ErrDatabaseBusy    = errors.New("database busy")
)

// StorageCondition names the storage condition behind err — ErrStorageFull, ErrStorageReadOnly or
// ErrDatabaseBusy — from the operating system's error number or SQLite's result code; nil when
// err is something else.
func StorageCondition(err error) error {
	for _, c := range []error{ErrStorageFull, ErrStorageReadOnly, ErrDatabaseBusy} {
		if errors.Is(err, c) {
			return c
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG:
			return ErrStorageFull
		case syscall.EROFS:
			return ErrStorageReadOnly
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code of an extended one
		case sqlite3.SQLITE_FULL:
			return ErrStorageFull
		case sqlite3.SQLITE_READONLY:
			return ErrStorageReadOnly
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ErrDatabaseBusy
		}
	}
	return nil
}
