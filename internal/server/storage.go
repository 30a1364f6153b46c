package server

import (
	"context"
	"path/filepath"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/pgqueue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/postgres"
	"github.com/segl/segl/internal/store/sqlite"
)

// The store and the task queue live in PostgreSQL when database-url is
// set, shared by every node (each node opens its own pools and the first
// to start migrates), and otherwise in SQLite files in the data directory.

// closingQueue is a queue the server opened and closes.
type closingQueue interface {
	queue.Queue
	Close() error
}

// openStore opens the store the configuration names.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.Open(filepath.Join(cfg.Data, "segl.db"), sqlite.Options{RelaxedSync: cfg.RelaxedSync})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openQueue opens the task queue beside the store.
func openQueue(ctx context.Context, cfg config.Config) (closingQueue, error) {
	if cfg.DatabaseURL != "" {
		q, err := pgqueue.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		return q, nil
	}
	q, err := sqlitequeue.Open(filepath.Join(cfg.Data, "queue.db"), sqlitequeue.Options{RelaxedSync: cfg.RelaxedSync})
	if err != nil {
		return nil, err
	}
	return q, nil
}
