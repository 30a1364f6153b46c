package delivery_test

import (
	"strings"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestNoticeOfASenderWithALineBreak: an organisation's name stored before
// names were checked may hold a line break, and its notices still go out,
// with the name on one line in the subject (a header, where notify refuses
// a line break for good) and in the SMS.
func TestNoticeOfASenderWithALineBreak(t *testing.T) {
	e := newEnv(t)
	o, err := e.db.Org(e.ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	o.Name = "Lånekassen\r\ntest"
	if err := e.db.PutOrg(e.ctx, store.By{Actor: "test", At: t0}, o); err != nil {
		t.Fatal(err)
	}
	e.create(job.Portal, "", job.SignerRequest{PID: ola})
	e.drain()
	var subjects []string
	for _, s := range e.mails() {
		subjects = append(subjects, s...)
	}
	if len(subjects) != 1 || !strings.Contains(subjects[0], "Lånekassen  test") {
		t.Fatalf("subjects %q, want one with the sender on one line", subjects)
	}
	if dead, _ := e.d.Queue.Dead(e.ctx, 10); len(dead) != 0 {
		t.Fatalf("dead letter: %+v", dead)
	}
}
