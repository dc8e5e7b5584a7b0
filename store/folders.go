package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Folder is a folder of a cloud's media library.
type Folder struct {
	Path       string // full path, "a/b/c"
	Name       string // last segment, "c"
	ExternalID string // 32 hex, fixed when the folder is first recorded
}

// FolderPage is one page of a folder listing.
type FolderPage struct {
	Folders []Folder
	Total   int  // every sub folder of the parent, not only this page's
	More    bool // a page follows this one
}

// ErrFolderNotEmpty is returned when a folder to delete holds an asset, in it or below.
var ErrFolderNotEmpty = errors.New("store: folder not empty")

// splitFolder returns a folder path's parent ("" at the root) and its last segment.
func splitFolder(path string) (parent, name string) {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}

// underFolder is the SQL condition "column is path or lies below it", as a byte range so that
// the column's index serves it: every "path/..." sorts in ["path/", "path0") ('0' follows '/').
func underFolder(column, path string) (string, []any) {
	return "(" + column + " = ? OR (" + column + " >= ? AND " + column + " < ?))", []any{path, path + "/", path + "0"}
}

// recordFolders records each path (slashes at either end trimmed; "" is the root, skipped) and
// every parent of it, keeping the folders that exist already.
func recordFolders(ctx context.Context, tx *sql.Tx, cloudID int64, paths ...string) error {
	now := time.Now().Unix()
	for _, p := range paths {
		for p = strings.Trim(p, "/"); p != ""; p, _ = splitFolder(p) {
			parent, name := splitFolder(p)
			res, err := tx.ExecContext(ctx, `INSERT INTO folders (cloud_id, path, parent, name, external_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cloud_id, path) DO NOTHING`,
				cloudID, p, parent, name, randomHex(16), now)
			if err != nil {
				return fmt.Errorf("record folder %s: %w", p, err)
			}
			if n, err := res.RowsAffected(); err == nil && n == 0 {
				break // it exists, so its parents do too
			}
		}
	}
	return nil
}

// CreateFolder creates the folder at path and its missing parents, and returns it; ErrExists
// when the folder exists already.
func (s *Store) CreateFolder(ctx context.Context, cloudID int64, path string) (Folder, error) {
	var f Folder
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := getFolder(ctx, tx, cloudID, path); err == nil {
			return ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := recordFolders(ctx, tx, cloudID, path); err != nil {
			return err
		}
		var err error
		f, err = getFolder(ctx, tx, cloudID, path)
		return err
	})
	return f, err
}

// Folder returns the folder at path, or ErrNotFound.
func (s *Store) Folder(ctx context.Context, cloudID int64, path string) (Folder, error) {
	return getFolder(ctx, s.reader, cloudID, path)
}

func getFolder(ctx context.Context, q querier, cloudID int64, path string) (Folder, error) {
	f := Folder{Path: path}
	err := q.QueryRowContext(ctx, "SELECT name, external_id FROM folders WHERE cloud_id = ? AND path = ?",
		cloudID, path).Scan(&f.Name, &f.ExternalID)
	if errors.Is(err, sql.ErrNoRows) {
		return Folder{}, ErrNotFound
	}
	if err != nil {
		return Folder{}, fmt.Errorf("read folder %s: %w", path, err)
	}
	return f, nil
}

// SubFolders returns one page of the folders directly inside parent ("" for the root folders),
// in name order, after the name after; ErrNotFound when parent is not a folder.
func (s *Store) SubFolders(ctx context.Context, cloudID int64, parent, after string, limit int) (FolderPage, error) {
	page := FolderPage{Folders: []Folder{}}
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot: the page and its total agree
	if err != nil {
		return page, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if parent != "" {
		if _, err := getFolder(ctx, tx, cloudID, parent); err != nil {
			return page, err
		}
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM folders WHERE cloud_id = ? AND parent = ?",
		cloudID, parent).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count folders: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT path, name, external_id FROM folders
		WHERE cloud_id = ? AND parent = ? AND name > ? ORDER BY name LIMIT ?`, cloudID, parent, after, limit+1)
	if err != nil {
		return page, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Folder
		if err := rows.Scan(&f.Path, &f.Name, &f.ExternalID); err != nil {
			return page, err
		}
		page.Folders = append(page.Folders, f)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Folders) > limit {
		page.Folders, page.More = page.Folders[:limit], true
	}
	return page, nil
}

// DeleteFolder deletes the folder at path and every folder below it, and returns their paths in
// order. It refuses with ErrFolderNotEmpty, changing nothing, when an asset's folder or
// asset_folder is the folder or lies below it; ErrNotFound when there is no such folder.
func (s *Store) DeleteFolder(ctx context.Context, cloudID int64, path string) ([]string, error) {
	var deleted []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := getFolder(ctx, tx, cloudID, path); err != nil {
			return err
		}
		inFolder, folderArgs := underFolder("folder", path)
		inAssetFolder, assetFolderArgs := underFolder("asset_folder", path)
		args := append(append([]any{cloudID}, folderArgs...), cloudID)
		var held bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM assets WHERE cloud_id = ? AND `+inFolder+`)
			OR EXISTS (SELECT 1 FROM assets WHERE cloud_id = ? AND `+inAssetFolder+`)`,
			append(args, assetFolderArgs...)...).Scan(&held)
		if err != nil {
			return fmt.Errorf("check folder %s: %w", path, err)
		}
		if held {
			return ErrFolderNotEmpty
		}
		inPath, pathArgs := underFolder("path", path)
		rows, err := tx.QueryContext(ctx, "DELETE FROM folders WHERE cloud_id = ? AND "+inPath+" RETURNING path",
			append([]any{cloudID}, pathArgs...)...)
		if err != nil {
			return fmt.Errorf("delete folder %s: %w", path, err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				return err
			}
			deleted = append(deleted, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(deleted)
	return deleted, nil
}

// ErrFolderIntoItself is returned when a folder would move inside itself.
var ErrFolderIntoItself = errors.New("store: folder moved into itself")

// RenameFolder moves the folder at from, with the folders below it, to the path to (creating its
// missing parents), and moves the assets whose asset_folder is in it along: the dynamic-folder
// rename, which leaves public ids, and so delivery URLs, as they are. Folders keep their external
// ids. ErrNotFound when from is not a folder, ErrExists when to is one, ErrFolderIntoItself when
// to lies below from.
func (s *Store) RenameFolder(ctx context.Context, cloudID int64, from, to string) (Folder, error) {
	var moved Folder
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := getFolder(ctx, tx, cloudID, from); err != nil {
			return err
		}
		if strings.HasPrefix(to, from+"/") {
			return ErrFolderIntoItself
		}
		switch _, err := getFolder(ctx, tx, cloudID, to); {
		case err == nil:
			return ErrExists
		case !errors.Is(err, ErrNotFound):
			return err
		}
		toParent, toName := splitFolder(to)
		if err := recordFolders(ctx, tx, cloudID, toParent); err != nil {
			return err
		}
		// Below the moved folder only the leading from of path and parent changes.
		_, err := tx.ExecContext(ctx, `UPDATE folders SET
				path = ?1 || substr(path, length(?2) + 1),
				parent = CASE WHEN path = ?2 THEN ?3 ELSE ?1 || substr(parent, length(?2) + 1) END,
				name = CASE WHEN path = ?2 THEN ?4 ELSE name END
			WHERE cloud_id = ?5 AND (path = ?2 OR (path >= ?6 AND path < ?7))`,
			to, from, toParent, toName, cloudID, from+"/", from+"0")
		if err != nil {
			return fmt.Errorf("move folder %s: %w", from, err)
		}
		inAssetFolder, assetArgs := underFolder("asset_folder", from)
		_, err = tx.ExecContext(ctx, `UPDATE assets SET asset_folder = ? || substr(asset_folder, length(?) + 1),
			updated_at = ? WHERE cloud_id = ? AND `+inAssetFolder,
			append([]any{to, from, time.Now().Unix(), cloudID}, assetArgs...)...)
		if err != nil {
			return fmt.Errorf("move assets of folder %s: %w", from, err)
		}
		moved, err = getFolder(ctx, tx, cloudID, to)
		return err
	})
	return moved, err
}
