package store

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are the queries of the first-time transform path, prepared once at Open: parsing
// and planning one costs SQLite more than running it. database/sql prepares a statement again
// on each connection that runs it, so these serve every reader and the writer's successors.
type statements struct {
	derivedFile       *sql.Stmt // reader: an asset's variant
	saveDerived       *sql.Stmt // writer: a variant's row, only while its asset has that version
	transformationUse *sql.Stmt // writer: the transformation as asked for was used
}

func prepareStatements(ctx context.Context, reader, writer *sql.DB) (statements, error) {
	var st statements
	for _, p := range []struct {
		db    *sql.DB
		dst   **sql.Stmt
		query string
	}{
		{reader, &st.derivedFile, "SELECT " + derivedColumns + " FROM derived WHERE id = ? AND asset = ?"},
		{writer, &st.saveDerived, `INSERT INTO derived (id, asset, transformation, format, blob, bytes,
			width, height, etag, created_at)
			SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ? FROM assets WHERE id = ? AND version_id = ?
			ON CONFLICT (id) DO UPDATE SET blob = excluded.blob, bytes = excluded.bytes,
			width = excluded.width, height = excluded.height, etag = excluded.etag`},
		{writer, &st.transformationUse, `INSERT INTO transformation_uses (cloud_id, transformation,
			first_used_at) VALUES (?, ?, ?) ON CONFLICT (cloud_id, transformation) DO NOTHING`},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return statements{}, fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st statements) close() {
	for _, stmt := range []*sql.Stmt{st.derivedFile, st.saveDerived, st.transformationUse} {
		if stmt != nil {
			stmt.Close()
		}
	}
}
