package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// seedStore makes a closed data directory holding one asset with one derived variant, and
// returns the directory with the two rows.
func seedStore(t *testing.T) (string, Asset, Derived) {
	t.Helper()
	ctx := context.Background()
	s, c := openTest(t)
	a, _, err := s.SaveAsset(ctx, withBody(newAsset(c, "kept"), "original"), tempWith(t, s, "original"), true)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.SaveDerived(a, withDerivedBody(Derived{Transformation: "w_10", Format: "png"}, "variant"), []byte("variant"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s.Dir(), a, d
}

// withBody records body's size and MD5 in a, as the upload handler does.
func withBody(a Asset, body string) Asset {
	a.Bytes, a.ETag = int64(len(body)), md5Hex(body)
	return a
}

// withDerivedBody gives d the ETag of body (SaveDerived takes its size from the bytes it writes).
func withDerivedBody(d Derived, body string) Derived {
	d.ETag = md5Hex(body)
	return d
}

func kinds(ds []Damage) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, string(d.Kind))
	}
	sort.Strings(out)
	return out
}

func TestFsckCleanDirectory(t *testing.T) {
	dir, _, _ := seedStore(t)
	rep, err := Fsck(context.Background(), dir, FsckOptions{Checksums: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Damage) != 0 || rep.Originals != 1 || rep.Derived != 1 || rep.Files != 2 {
		t.Fatalf("report = %+v", rep)
	}
}

func TestFsckFindsAndRepairsDamage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		damage     func(t *testing.T, dir string, a Asset, d Derived)
		checksums  bool
		want       string
		repairable bool
	}{
		{"orphan file", func(t *testing.T, dir string, _ Asset, _ Derived) {
			writeFile(t, filepath.Join(dir, "files", "originals", "ff", "ff00"), "lost")
		}, false, "orphan-file", true},
		{"temp file", func(t *testing.T, dir string, _ Asset, _ Derived) {
			writeFile(t, filepath.Join(dir, "tmp", "upload-123"), "partial")
		}, false, "temp-file", true},
		{"derived file gone", func(t *testing.T, dir string, _ Asset, d Derived) {
			removeFile(t, filepath.Join(dir, "files", d.Blob))
		}, false, "missing-derived", true},
		{"derived file truncated", func(t *testing.T, dir string, _ Asset, d Derived) {
			writeFile(t, filepath.Join(dir, "files", d.Blob), "var")
		}, false, "corrupt-derived", true},
		{"original gone", func(t *testing.T, dir string, a Asset, _ Derived) {
			removeFile(t, filepath.Join(dir, "files", a.Blob))
		}, false, "missing-original", false},
		{"original truncated", func(t *testing.T, dir string, a Asset, _ Derived) {
			writeFile(t, filepath.Join(dir, "files", a.Blob), "orig")
		}, false, "corrupt-original", false},
		{"original bit flip, seen with checksums", func(t *testing.T, dir string, a Asset, _ Derived) {
			writeFile(t, filepath.Join(dir, "files", a.Blob), "origiNal")
		}, true, "corrupt-original", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, a, d := seedStore(t)
			tc.damage(t, dir, a, d)
			rep, err := Fsck(ctx, dir, FsckOptions{Checksums: tc.checksums})
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(rep.Damage); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("found %v, want [%s]", got, tc.want)
			}
			if len(rep.Remaining()) != 1 {
				t.Fatalf("a check without repair repaired: %+v", rep.Damage)
			}
			if rep, err = Fsck(ctx, dir, FsckOptions{Repair: true, Checksums: tc.checksums}); err != nil {
				t.Fatal(err)
			}
			if got := len(rep.Remaining()); (got == 0) != tc.repairable {
				t.Fatalf("after repair %d problems remain: %+v", got, rep.Damage)
			}
			again, err := Fsck(ctx, dir, FsckOptions{Checksums: tc.checksums})
			if err != nil {
				t.Fatal(err)
			}
			if tc.repairable && len(again.Damage) != 0 {
				t.Fatalf("repair did not hold: %+v", again.Damage)
			}
			if !tc.repairable && kinds(again.Damage)[0] != tc.want {
				t.Fatalf("an original was touched by repair: %+v", again.Damage)
			}
			s, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Asset(ctx, a.AssetKey); err != nil {
				t.Fatalf("repair lost the asset row: %v", err)
			}
			if tc.want == "missing-derived" || tc.want == "corrupt-derived" {
				if _, err := s.DerivedFile(ctx, a, d.Transformation, d.Format); !errors.Is(err, ErrNotFound) {
					t.Fatalf("the damaged derived row survived repair: %v", err)
				}
			}
		})
	}
}

func TestFsckReportsDatabaseDamage(t *testing.T) {
	dir, _, _ := seedStore(t)
	db, err := openDB(filepath.Join(dir, dbFileName), true)
	if err != nil {
		t.Fatal(err)
	}
	// A derived row whose asset is gone: only possible with foreign keys off (or a bug).
	if _, err := db.Exec("PRAGMA foreign_keys = OFF"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO derived (id, asset, transformation, format, blob, bytes, etag, created_at)
		VALUES ('x', 9999, 'w_1', 'png', 'derived/zz/none', 0, '', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rep, err := Fsck(context.Background(), dir, FsckOptions{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(rep.Remaining()); len(got) != 1 || got[0] != "database" {
		t.Fatalf("remaining = %v (%+v)", got, rep.Damage)
	}
}

func TestFsckRefusesADirectoryInUse(t *testing.T) {
	s, _ := openTest(t)
	if _, err := Fsck(context.Background(), s.Dir(), FsckOptions{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if _, err := Open(context.Background(), s.Dir()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
