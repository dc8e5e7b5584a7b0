package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestUploadPresetLifecycle(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	in := UploadPreset{Name: "avatars", Unsigned: true, Settings: map[string]string{"tags": "a,b", "folder": "users"}}
	if _, err := s.CreateUploadPreset(ctx, c.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUploadPreset(ctx, c.ID, UploadPreset{Name: "avatars"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := s.UploadPresetByName(ctx, c.ID, "avatars")
	if err != nil || !got.Unsigned || got.DisallowPublicID || !reflect.DeepEqual(got.Settings, in.Settings) || got.CreatedAt.IsZero() {
		t.Fatalf("read: %+v %v", got, err)
	}

	// An update sees the stored preset and writes back what it changed; a failing change
	// leaves the row as it was.
	updated, err := s.UpdateUploadPreset(ctx, c.ID, "avatars", func(p *UploadPreset) error {
		p.Unsigned, p.DisallowPublicID = false, true
		delete(p.Settings, "folder")
		p.Settings["eager"] = "w_100|w_200"
		return nil
	})
	if err != nil || updated.Unsigned || !updated.DisallowPublicID {
		t.Fatalf("update: %+v %v", updated, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateUploadPreset(ctx, c.ID, "avatars", func(p *UploadPreset) error {
		p.Settings["tags"] = "lost"
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}
	got, _ = s.UploadPresetByName(ctx, c.ID, "avatars")
	if want := map[string]string{"tags": "a,b", "eager": "w_100|w_200"}; !reflect.DeepEqual(got.Settings, want) || got.Unsigned {
		t.Fatalf("after updates: %+v", got)
	}
	if _, err := s.UpdateUploadPreset(ctx, c.ID, "nope", func(*UploadPreset) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}

	if err := s.DeleteUploadPreset(ctx, c.ID, "avatars"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUploadPreset(ctx, c.ID, "avatars"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := s.UploadPresetByName(ctx, c.ID, "avatars"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read deleted: %v", err)
	}
}

func TestUploadPresetsPagedByName(t *testing.T) {
	s, c := openTest(t)
	other, err := s.PutCloud(context.Background(), Cloud{Name: "other", APIKey: "k2", APISecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 4; i >= 0; i-- {
		if _, err := s.CreateUploadPreset(ctx, c.ID, UploadPreset{Name: fmt.Sprintf("p%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateUploadPreset(ctx, other.ID, UploadPreset{Name: "p0"}); err != nil {
		t.Fatal("same name in another cloud:", err)
	}
	var names []string
	after := ""
	for pages := 0; ; pages++ {
		page, more, err := s.ListUploadPresets(ctx, c.ID, after, 2)
		if err != nil || pages > 3 {
			t.Fatal(err, pages)
		}
		for _, p := range page {
			names = append(names, p.Name)
		}
		if !more {
			break
		}
		after = page[len(page)-1].Name
		// A preset created behind the cursor never shows up later; one ahead of it does.
		if pages == 0 {
			s.CreateUploadPreset(ctx, c.ID, UploadPreset{Name: "a-early"})
			s.CreateUploadPreset(ctx, c.ID, UploadPreset{Name: "p9"})
		}
	}
	if want := []string{"p0", "p1", "p2", "p3", "p4", "p9"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("pages: %v", names)
	}
}
