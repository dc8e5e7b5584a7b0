package store

import (
	"context"
	"reflect"
	"strconv"
	"testing"
)

func listedTransformations(t *testing.T, s *Store, c Cloud) []string {
	t.Helper()
	items, _, err := s.ListTransformations(context.Background(), TransformationQuery{CloudID: c.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Name+map[bool]string{true: " used", false: ""}[it.Used])
	}
	return out
}

func TestTransformationUses(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	if err := s.CreateNamedTransformation(ctx, c.ID, NamedTransformation{Name: "thumb", Definition: "c_fill,w_10"}); err != nil {
		t.Fatal(err)
	}
	a := saveNamed(t, s, c, "pic")
	for i, used := range []string{"t_thumb", "t_thumb", "e_sepia"} { // SaveDerived records the use
		d := Derived{Transformation: "c_fill,w_1" + strconv.Itoa(i), Format: "jpg", ETag: "d", Requested: used}
		if _, err := s.SaveDerived(a, d, []byte(used)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := listedTransformations(t, s, c), []string{"e_sepia used", "t_thumb used"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("listing: %q, want %q", got, want)
	}
	if _, err := s.DeleteTransformation(ctx, TransformationDelete{CloudID: c.ID, Named: "thumb"}); err != nil {
		t.Fatal(err)
	}
	if used, err := s.TransformationUseRecorded(ctx, c.ID, "t_thumb"); err != nil || used {
		t.Fatalf("the use of a deleted named transformation: %v %v", used, err)
	}
	if got, want := listedTransformations(t, s, c), []string{"e_sepia used"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("listing after the delete: %q, want %q", got, want)
	}
	// A variant made again (its file was lost) updates its row and records its use again.
	d := Derived{Transformation: "c_fill,w_10", Format: "jpg", ETag: "d", Requested: "t_thumb"}
	if _, err := s.SaveDerived(a, d, []byte("again")); err != nil {
		t.Fatal(err)
	}
	if used, err := s.TransformationUseRecorded(ctx, c.ID, "t_thumb"); err != nil || !used {
		t.Fatalf("the use of a variant made again: %v %v", used, err)
	}
}

// TestTransformationUsesMigration runs migration 0007 over derived files made before it.
func TestTransformationUsesMigration(t *testing.T) {
	s, c := openTest(t)
	a := saveNamed(t, s, c, "pic")
	saveDerivedFile(t, s, a, "c_scale,w_10", "jpg")
	saveDerivedFile(t, s, a, "c_scale,w_10", "png")
	saveDerivedFile(t, s, a, "", "png")
	if _, err := s.writer.Exec("DROP TABLE transformation_uses"); err != nil {
		t.Fatal(err)
	}
	rerunMigration(t, s, "0007_transformation_uses.sql")
	if got, want := listedTransformations(t, s, c), []string{"c_scale,w_10 used"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("listing after the migration: %q, want %q", got, want)
	}
}
