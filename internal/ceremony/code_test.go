package ceremony

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
)

// codeEnv is a service on real SQLite and a fake clock, with one active
// job for a signer addressed by e-mail (who needs codes) followed by one
// addressed by identity number.
type codeEnv struct {
	svc    *Service
	db     *sqlite.DB
	clk    *clock.Fake
	job    *job.Job
	signer string // the e-mail signer's id
	token  string
}

func newCodeEnv(t *testing.T) *codeEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	svc := &Service{Store: db, Queue: q, Clock: clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
	ctx := context.Background()
	const org = "317510748"
	db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: org, Name: "A", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}})
	expires := t0.Add(30 * 24 * time.Hour)
	r := &job.Request{Title: "T", Flow: job.Portal, SignatureType: job.Authenticated, ExpiresAt: &expires,
		Signers: []job.SignerRequest{{Email: "guest@example.test", Order: 1}, {PID: "21909825250", Order: 2}}}
	n := 0
	j, ev := job.New(r, org, "cert:1", nil, func() string { n++; return fmt.Sprintf("id-%03d", n) }, t0, job.DefaultLimits)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	id := j.Signers[0].ID
	return &codeEnv{svc: svc, db: db, clk: clk, job: j, signer: id, token: svc.SignerToken(id)}
}

// newCode makes a code as the background task does after a request, a
// minute after the last.
func (e *codeEnv) newCode(t *testing.T) string {
	t.Helper()
	e.clk.Advance(codeResendAfter)
	if err := e.svc.RequestCode(context.Background(), e.signer, e.token); err != nil {
		t.Fatalf("request a code: %v", err)
	}
	code, err := e.svc.NewCode(context.Background(), e.signer)
	if err != nil {
		t.Fatalf("new code: %v", err)
	}
	return code
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func (e *codeEnv) jobNow(t *testing.T) *job.Job {
	t.Helper()
	j, err := e.db.Job(context.Background(), e.job.Org, e.job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestCodeConcurrentGuesses: a hundred wrong guesses at once get exactly
// five answers ("not right") and are counted five times; the others are
// told the code is used up, without being compared.
func TestCodeConcurrentGuesses(t *testing.T) {
	e := newCodeEnv(t)
	code := e.newCode(t)
	const n = 100
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.svc.CheckCode(context.Background(), e.signer, e.token, wrongCode(code))
			results[i] = codeOfErr(err)
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, r := range results {
		count[r]++
	}
	if count["code-wrong"] != codeMaxAttempts || count["code-expired"] != n-codeMaxAttempts {
		t.Fatalf("%d concurrent wrong guesses answered %v; want %d code-wrong, the rest code-expired", n, count, codeMaxAttempts)
	}
	c, err := e.db.Code(context.Background(), e.signer)
	if err != nil || c.Attempts != codeMaxAttempts || c.Guesses != codeMaxAttempts {
		t.Fatalf("code after the race: %+v, %v", c, err)
	}
	// The right code, too late, is refused like the rest.
	if err := e.svc.CheckCode(context.Background(), e.signer, e.token, code); codeOfErr(err) != "code-expired" {
		t.Fatalf("the right code after five wrong ones: %v", err)
	}
}

// TestCodeGuessesLockLink: the fifteenth wrong guess over three codes locks
// the link; neither the right codes nor a fresh one open it any more, the
// job has failed with the signer, the other signer is cancelled, and the
// sender's feed says why.
func TestCodeGuessesLockLink(t *testing.T) {
	e := newCodeEnv(t)
	ctx := context.Background()
	var codes []string
	for i := range codeMaxGuesses {
		if i%codeMaxAttempts == 0 {
			codes = append(codes, e.newCode(t))
		}
		want := "code-wrong"
		if i == codeMaxGuesses-1 {
			want = CodeLinkLocked
		}
		err := e.svc.CheckCode(ctx, e.signer, e.token, wrongCode(codes[len(codes)-1]))
		if codeOfErr(err) != want {
			t.Fatalf("wrong guess %d: %v; want %s", i+1, err, want)
		}
	}
	for _, code := range codes {
		err := e.svc.CheckCode(ctx, e.signer, e.token, code)
		if codeOfErr(err) != CodeLinkLocked || errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("a right code after the lock: %v", err)
		}
	}
	e.clk.Advance(time.Hour)
	if err := e.svc.RequestCode(ctx, e.signer, e.token); codeOfErr(err) != CodeLinkLocked {
		t.Fatalf("a code requested after the lock: %v", err)
	}
	if _, err := e.svc.NewCode(ctx, e.signer); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a code made after the lock: %v", err)
	}
	if _, _, err := e.svc.SignerByLink(ctx, e.signer, e.token); codeOfErr(err) != CodeLinkLocked {
		t.Fatalf("the link after the lock: %v", err)
	}
	e.wantLockedOut(t)
}

// TestCodeRequestsLockLink: a request for a sixth code locks the link.
func TestCodeRequestsLockLink(t *testing.T) {
	e := newCodeEnv(t)
	for range codeMaxCodes {
		e.newCode(t)
	}
	e.clk.Advance(codeResendAfter)
	if err := e.svc.RequestCode(context.Background(), e.signer, e.token); codeOfErr(err) != CodeLinkLocked {
		t.Fatalf("a request for code %d: %v", codeMaxCodes+1, err)
	}
	e.wantLockedOut(t)
}

// wantLockedOut checks that the job failed with its code signer, and that
// the sender's feed ends with the lock, the failure and the cancellation
// of the other signer.
func (e *codeEnv) wantLockedOut(t *testing.T) {
	t.Helper()
	j := e.jobNow(t)
	if j.Status != job.StatusFailed || j.Signers[0].Status != job.SignerFailed || j.Signers[1].Status != job.SignerCancelled {
		t.Fatalf("job after the lock: %s, signers %s and %s", j.Status, j.Signers[0].Status, j.Signers[1].Status)
	}
	changes, err := e.db.Changes(context.Background(), j.Org, 0, 100)
	if err != nil || len(changes) < 3 {
		t.Fatalf("feed: %v %v", changes, err)
	}
	var types []string
	for _, c := range changes[len(changes)-3:] {
		types = append(types, c.Type+"/"+string(c.SignerStatus))
	}
	want := []string{job.SignerLocked + "/failed", "job.failed/", "signer.cancelled/cancelled"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("the feed ends with %v; want %v", types, want)
	}
}

// TestCodeRightWithinAllowance: after thirteen wrong guesses over three
// codes the right code still opens the link, and once spent it does not
// open it again.
func TestCodeRightWithinAllowance(t *testing.T) {
	e := newCodeEnv(t)
	ctx := context.Background()
	var code string
	for i := range codeMaxGuesses - 2 {
		if i%codeMaxAttempts == 0 {
			code = e.newCode(t)
		}
		if err := e.svc.CheckCode(ctx, e.signer, e.token, wrongCode(code)); codeOfErr(err) != "code-wrong" {
			t.Fatalf("wrong guess %d: %v", i+1, err)
		}
	}
	if err := e.svc.CheckCode(ctx, e.signer, e.token, code); err != nil {
		t.Fatalf("the right code as the fourteenth guess: %v", err)
	}
	if err := e.svc.CheckCode(ctx, e.signer, e.token, code); codeOfErr(err) != "code-expired" {
		t.Fatalf("the same code again: %v", err)
	}
	if j := e.jobNow(t); j.Status != job.StatusActive || j.Signers[0].Status.Final() {
		t.Fatalf("job after a right code: %s / %s", j.Status, j.Signers[0].Status)
	}
}

func codeOfErr(err error) string {
	if e := errs.From(err); e != nil {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
