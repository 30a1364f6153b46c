package delivery_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/testdocs"
)

// TestNoticeOfATitleWithALineBreak: a job title may hold a line break
// (job.Request.Validate allows one, as in a description), and the e-mail
// notice still goes out, with the title on one line in its subject; the
// subject is a header, where a line break would be refused for good and
// the signer never told.
func TestNoticeOfATitleWithALineBreak(t *testing.T) {
	e := newEnv(t)
	exp := t0.Add(30 * 24 * time.Hour)
	r := &job.Request{Title: "Arbeidsavtale\nvedlegg 2", Flow: job.Portal, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: ola}}, ExpiresAt: &exp}
	if err := r.Validate(e.clk.Now(), job.DefaultLimits); err != nil {
		t.Fatalf("the request is refused: %v", err)
	}
	pdf := testdocs.PDF("Kontrakt", 2000)
	ref, err := e.svc.Blobs.Put(e.ctx, bytes.NewReader(pdf), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	docs := []job.Document{{ID: e.newID(), Title: "Kontrakt", FileName: "kontrakt.pdf", MediaType: "application/pdf",
		Size: ref.Size, SHA256: ref.Key, Pages: 1}}
	j, ev := job.New(r, org, e.creator, docs, e.newID, e.clk.Now(), job.DefaultLimits)
	if err := e.db.CreateJob(e.ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	e.drain()
	var subjects []string
	for _, s := range e.mails() {
		subjects = append(subjects, s...)
	}
	if len(subjects) != 1 || !strings.Contains(subjects[0], "Arbeidsavtale vedlegg 2") {
		t.Fatalf("subjects %q, want one with the title on one line", subjects)
	}
	if dead, _ := e.d.Queue.Dead(e.ctx, 10); len(dead) != 0 {
		t.Fatalf("dead letter: %+v", dead)
	}
}
