package postgres

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/storetest"
)

func open(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}
