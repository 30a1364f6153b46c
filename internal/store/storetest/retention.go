package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// testRetention checks that what decides a job's deletion is kept: the
// organisation's default, the job's own days and audit key, and the end
// time a final status brings.
func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.PutOrg(ctx, by, store.Org{Number: orgB, Name: "B", Active: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Org(ctx, orgB); err != nil || o.Retention() != job.DefaultRetentionDays {
		t.Fatalf("org without retention: %d days, %v; want the default %d", o.Retention(), err, job.DefaultRetentionDays)
	}
	j, ev := newJob(orgA)
	j.RetainDays, j.AuditKey = 31, bytes.Repeat([]byte{7}, 32)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	ended := t0.Add(48 * 3600e9)
	events, err := j.Cancel("cert:42", ended)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, j, events); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RetainDays != 31 || !bytes.Equal(got.AuditKey, j.AuditKey) || !got.EndedAt.Equal(ended) || !got.DeletedAt.IsZero() {
		t.Fatalf("got retain %d, key %x, ended %v, deleted %v", got.RetainDays, got.AuditKey, got.EndedAt, got.DeletedAt)
	}
	if want := ended.AddDate(0, 0, 31); !got.DeleteAfter().Equal(want) {
		t.Fatalf("DeleteAfter = %v, want %v", got.DeleteAfter(), want)
	}
}
