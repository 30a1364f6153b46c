package storetest

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/store"
)

// testDeleteCursor: a deleted cursor is gone (Cursor reads 0, as for one
// never set, and SetCursor starts it again from nothing), the others stay,
// and deleting one that is not there is no error.
func testDeleteCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	for name, seq := range map[string]int64{"gone": 7, "kept": 3} {
		if err := s.SetCursor(ctx, name, seq); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := s.DeleteCursor(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := s.Cursor(ctx, "gone"); err != nil || c != 0 {
		t.Fatalf("deleted cursor = %d, %v", c, err)
	}
	if c, _ := s.Cursor(ctx, "kept"); c != 3 {
		t.Fatalf("other cursor = %d, want 3", c)
	}
	if err := s.SetCursor(ctx, "gone", 2); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx, "gone"); c != 2 {
		t.Fatalf("cursor set again after its deletion = %d, want 2", c)
	}
}
