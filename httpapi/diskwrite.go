package httpapi

import (
	"errors"
	"io"
)

// diskWriter wraps the local file an io.Copy fills, so that a failure to write it (a full or
// read-only disk) is told apart from the client's broken input on the reading side: the first
// is the server's 5xx, the second the client's 4xx.
type diskWriter struct{ w io.Writer }

// diskWriteError is a failed write to a local file.
type diskWriteError struct{ err error }

func (e *diskWriteError) Error() string { return "write upload: " + e.err.Error() }
func (e *diskWriteError) Unwrap() error { return e.err }

func (d diskWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = &diskWriteError{err}
	}
	return n, err
}

// localWriteFailure returns the diskWriter failure inside err (an internal error), or nil when
// err came from elsewhere.
func localWriteFailure(err error) error {
	var dw *diskWriteError
	if errors.As(err, &dw) {
		return dw
	}
	return nil
}
