package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/store"
)

// testAuditKeepsNoWrittenText: what a rejecting signer wrote reaches the
// signer's row (until the job's deletion) but the audit log, which is
// never edited, only as its keyed hash under the job's key (audit.Said),
// so nothing a person wrote there, and whoever it names, outlives the
// job.
func testAuditKeepsNoWrittenText(t *testing.T, s store.Store) {
	ctx := context.Background()
	const reason = "Feil person: jeg er Marte Larsen, ring 92018490"
	j, ev := newJob(orgA)
	j.AuditKey = bytes.Repeat([]byte{7}, 32)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	ev, err := j.RejectBy(j.Signers[0].ID, "pid:"+j.Signers[0].PID, reason, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Job(ctx, orgA, j.ID); err != nil || got.Signers[0].RejectionReason != reason {
		t.Fatalf("the signer's row: %v, %v", got, err)
	}
	var rejected *audit.Record
	err = s.AuditRecords(ctx, 0, func(r audit.Record) error {
		if bytes.Contains(r.Details, []byte("92018490")) || bytes.Contains(r.Details, []byte("Larsen")) {
			t.Errorf("audit record %d (%s) holds what the signer wrote: %s", r.Seq, r.Action, r.Details)
		}
		if r.Action == "signer.rejected" {
			rejected = &r
		}
		return nil
	})
	if err != nil || rejected == nil {
		t.Fatalf("no signer.rejected record: %v", err)
	}
	if want := `{"reason":"` + audit.Said(j.AuditKey, reason) + `"}`; string(rejected.Details) != want {
		t.Errorf("details of the rejection %s, want %s", rejected.Details, want)
	}
}
