package storetest

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	admin := store.User{Org: orgA, PID: "21909825250", Name: "Ada Admin", Email: "ada@a.example", Role: store.RoleAdmin,
		CreatedAt: t0, CreatedBy: "admin:central"}
	sender := store.User{Org: orgA, PID: "13097248022", Name: "Bo Sender", Role: store.RoleSender, CreatedAt: t0,
		CreatedBy: "pid:21909825250"}
	other := store.User{Org: orgB, PID: "21909825250", Name: "Ada Admin", Role: store.RoleSender, CreatedAt: t0,
		CreatedBy: "admin:central"}
	for _, u := range []store.User{admin, sender, other} {
		if err := s.PutUser(ctx, by, u); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.User(ctx, orgA, admin.PID); err != nil || !reflect.DeepEqual(got, admin) {
		t.Fatalf("User = %+v, %v", got, err)
	}
	if _, err := s.User(ctx, orgB, sender.PID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("user of another organisation: %v, want not found", err)
	}
	if list, err := s.ListUsers(ctx, orgA); err != nil || len(list) != 2 || list[0].PID != admin.PID {
		t.Fatalf("ListUsers = %+v, %v", list, err)
	}
	if orgs, err := s.UserOrgs(ctx, admin.PID); err != nil || len(orgs) != 2 || orgs[0].Org != orgA || orgs[1].Role != store.RoleSender {
		t.Fatalf("UserOrgs = %+v, %v", orgs, err)
	}
	sender.Role = store.RoleAdmin
	if err := s.PutUser(ctx, by, sender); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, orgA, sender.PID); got.Role != store.RoleAdmin {
		t.Fatalf("role not updated: %+v", got)
	}
	if err := s.DeleteUser(ctx, by, orgA, sender.PID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, by, orgA, sender.PID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("second delete: %v, want not found", err)
	}
	// Every change is in the audit chain, with who made it; the refused
	// second delete is not.
	var got []string
	err := s.AuditRecords(ctx, 0, func(r audit.Record) error {
		got = append(got, r.Org+" "+r.Actor+" "+r.Action+" "+string(r.Details))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		orgA + " admin:07839635529 user.saved {\"role\":\"admin\",\"user\":\"21909825250\"}",
		orgA + " admin:07839635529 user.saved {\"role\":\"sender\",\"user\":\"13097248022\"}",
		orgB + " admin:07839635529 user.saved {\"role\":\"sender\",\"user\":\"21909825250\"}",
		orgA + " admin:07839635529 user.saved {\"role\":\"admin\",\"user\":\"13097248022\"}",
		orgA + " admin:07839635529 user.removed {\"user\":\"13097248022\"}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := mustCreate(t, s, orgA), mustCreate(t, s, orgB)
	var all []store.Change // the jobs' creations
	changes, err := s.ChangesAfter(ctx, 0, 10)
	for _, c := range changes {
		if c.Type == "job.created" {
			all = append(all, c)
		}
	}
	if err != nil || len(all) != 2 || all[0].Org != orgA || all[0].JobID != a.ID || all[1].Org != orgB || all[1].JobID != b.ID {
		t.Fatalf("ChangesAfter = %+v, %v", all, err)
	}
	// Acknowledged by the sender or not, the outbox sees every change.
	if _, err := s.Ack(ctx, orgA, []int64{all[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ChangesAfter(ctx, 0, 10); len(again) != len(changes) {
		t.Fatalf("after ack: %d changes, want %d", len(again), len(changes))
	}
	if rest, _ := s.ChangesAfter(ctx, all[1].Seq-1, 1); len(rest) != 1 || rest[0].JobID != b.ID {
		t.Fatalf("after the first: %+v", rest)
	}
	if c, err := s.Cursor(ctx, "notify"); err != nil || c != 0 {
		t.Fatalf("new cursor = %d, %v", c, err)
	}
	for _, seq := range []int64{all[1].Seq, all[0].Seq} { // never moves back
		if err := s.SetCursor(ctx, "notify", seq); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := s.Cursor(ctx, "notify"); c != all[1].Seq {
		t.Fatalf("cursor = %d, want %d", c, all[1].Seq)
	}
}

func testNotices(t *testing.T, s store.Store) {
	ctx := context.Background()
	n := store.Notice{Key: "sign-request/s1/sms", Org: orgA, JobID: "j1", SignerID: "s1", Channel: store.ChannelSMS,
		Template: "sign-request", At: t0}
	if added, err := s.RecordNotice(ctx, n); err != nil || !added {
		t.Fatalf("first record: %v, %v", added, err)
	}
	if added, err := s.RecordNotice(ctx, n); err != nil || added {
		t.Fatalf("second record: %v, %v; want not added", added, err)
	}
	if has, err := s.HasNotice(ctx, n.Key); err != nil || !has {
		t.Fatalf("HasNotice = %v, %v", has, err)
	}
	if has, _ := s.HasNotice(ctx, "other"); has {
		t.Fatal("HasNotice of an unknown key")
	}
	if list, err := s.JobNotices(ctx, orgA, "j1"); err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], n) {
		t.Fatalf("JobNotices = %+v, %v", list, err)
	}
	if list, _ := s.JobNotices(ctx, orgB, "j1"); len(list) != 0 {
		t.Fatalf("another organisation sees %d notices", len(list))
	}

	// Several at once: the new ones stored, one already there left as it
	// was (its time is not the one recorded first).
	again := n
	again.At = t0.Add(time.Hour)
	more := []store.Notice{again,
		{Key: "j1/s1/mailbox", Org: orgA, JobID: "j1", SignerID: "s1", Channel: store.ChannelMailbox, Template: "signed-document", At: t0.Add(time.Minute)},
		{Key: "j1/s2/mailbox", Org: orgA, JobID: "j1", SignerID: "s2", Channel: store.ChannelMailbox, Template: "signed-document", At: t0.Add(time.Minute)}}
	if err := s.RecordNotices(ctx, more); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordNotices(ctx, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.JobNotices(ctx, orgA, "j1")
	if err != nil || len(list) != 3 || !reflect.DeepEqual(list[0], n) || !reflect.DeepEqual(list[1:], more[1:]) {
		t.Fatalf("JobNotices after RecordNotices = %+v, %v", list, err)
	}
}

func testCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Code(ctx, "s1"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("no code: %v", err)
	}
	if _, err := s.GuessCode(ctx, "s1", t0, 5, 15); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a guess without a code: %v", err)
	}
	c := store.Code{SignerID: "s1", Hash: []byte{1, 2, 3}, ExpiresAt: t0.Add(10 * time.Minute), SentAt: t0}
	if err := s.PutCode(ctx, c, 3); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		got, err := s.GuessCode(ctx, "s1", t0, 5, 15)
		if err != nil || got.Attempts != want || got.Guesses != want || !bytes.Equal(got.Hash, c.Hash) {
			t.Fatalf("guess %d = %+v, %v", want, got, err)
		}
	}
	got, err := s.Code(ctx, "s1")
	c.Attempts, c.Sent, c.Guesses = 2, 1, 2
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("Code = %+v, %v; want %+v", got, err, c)
	}
	if _, err := s.GuessCode(ctx, "s1", c.ExpiresAt, 5, 15); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a guess at an expired code: %v", err)
	}

	// A new code starts its own attempts; the signer's totals go on.
	c.Hash = []byte{4}
	if err := s.PutCode(ctx, c, 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Code(ctx, "s1"); got.Attempts != 0 || got.Sent != 2 || got.Guesses != 2 || got.Hash[0] != 4 {
		t.Fatalf("replaced code = %+v", got)
	}
	if err := s.SpendCode(ctx, "s1", []byte{1, 2, 3}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("spending a replaced code: %v", err)
	}
	if err := s.SpendCode(ctx, "s1", []byte{4}); err != nil {
		t.Fatal(err)
	}
	if err := s.SpendCode(ctx, "s1", []byte{4}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("spending a code twice: %v", err)
	}
	if _, err := s.GuessCode(ctx, "s1", t0, 5, 15); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a guess at a spent code: %v", err)
	}

	// The total of guesses holds across codes.
	if err := s.PutCode(ctx, c, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GuessCode(ctx, "s1", t0, 5, 3); err != nil {
		t.Fatalf("third guess in all: %v", err)
	}
	if _, err := s.GuessCode(ctx, "s1", t0, 5, 3); !errs.Is(err, errs.Conflict) {
		t.Fatalf("fourth guess in all, over a total of 3: %v", err)
	}
	// So does the number of codes.
	if err := s.PutCode(ctx, c, 3); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a fourth code, over a limit of 3: %v", err)
	}

	// A locked link takes no guess and no new code, and stays locked at
	// its first time.
	if got, _ := s.Code(ctx, "s1"); got.Locked() {
		t.Fatalf("locked before LockCode: %+v", got)
	}
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Hour)} {
		if err := s.LockCode(ctx, "s1", at); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Code(ctx, "s1"); !got.LockedAt.Equal(t0.Add(time.Minute)) || got.Sent != 3 || got.Guesses != 3 {
		t.Fatalf("locked code = %+v", got)
	}
	if err := s.PutCode(ctx, c, 10); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a new code on a locked link: %v", err)
	}
	if _, err := s.GuessCode(ctx, "s1", t0, 50, 50); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a guess on a locked link: %v", err)
	}
	// A signer who never had a code can be locked too.
	if err := s.LockCode(ctx, "s2", t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Code(ctx, "s2"); err != nil || !got.Locked() {
		t.Fatalf("locked without a code: %+v, %v", got, err)
	}
}

// testCodeGuessRace: many guesses at once at one code are counted exactly
// up to the limit; the rest get no answer (and no chance to be right).
func testCodeGuessRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := store.Code{SignerID: "s1", Hash: []byte{1}, ExpiresAt: t0.Add(10 * time.Minute), SentAt: t0}
	if err := s.PutCode(ctx, c, 5); err != nil {
		t.Fatal(err)
	}
	const n, perCode = 100, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, refused := 0, 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.GuessCode(ctx, "s1", t0, perCode, 15)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				answered++
			case errs.Is(err, errs.Conflict):
				refused++
			default:
				t.Errorf("guess: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.Code(ctx, "s1")
	if err != nil || answered != perCode || refused != n-perCode || got.Attempts != perCode || got.Guesses != perCode {
		t.Fatalf("%d concurrent guesses: %d answered, %d refused, code %+v, %v; want %d answered", n, answered, refused, got, err, perCode)
	}
}

// testCodeSendRace: many requests for a code at once make no more codes
// than the limit.
func testCodeSendRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n, limit = 40, 5
	var wg sync.WaitGroup
	var made atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := store.Code{SignerID: "s1", Hash: []byte{byte(i)}, ExpiresAt: t0.Add(10 * time.Minute), SentAt: t0}
			switch err := s.PutCode(ctx, c, limit); {
			case err == nil:
				made.Add(1)
			case !errs.Is(err, errs.Conflict):
				t.Errorf("put code: %v", err)
			}
		}()
	}
	wg.Wait()
	if got, err := s.Code(ctx, "s1"); err != nil || made.Load() != limit || got.Sent != limit {
		t.Fatalf("%d concurrent codes: %d made, code %+v, %v; want %d", n, made.Load(), got, err, limit)
	}
}

func testUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	sign := func(org string, at time.Time, n int) {
		j := mustCreate(t, s, org)
		for i := range n {
			ev, err := j.SignBy(j.Signers[i].ID, "pid:x", at, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveJob(ctx, j, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	nov, dec := t0, t0.AddDate(0, 0, 10) // 3 December, before the jobs expire
	sign(orgA, nov, 2)
	sign(orgA, nov, 1)
	sign(orgA, dec, 1)
	sign(orgB, nov, 1)
	for i, n := range []store.Notice{
		{Key: "k1", Org: orgA, Channel: store.ChannelSMS, At: nov},
		{Key: "k2", Org: orgA, Channel: store.ChannelSMS, At: nov},
		{Key: "k3", Org: orgA, Channel: store.ChannelEmail, At: nov},
		{Key: "k4", Org: orgA, Channel: store.ChannelSMS, At: dec.AddDate(1, 0, 0)}, // outside the period
		// 00:30 on 1 December in Oslo: December's, though still November in UTC.
		{Key: "k5", Org: orgA, Channel: store.ChannelEmail, At: time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)},
		// 00:30 on 1 November in Oslo: in the period, though October in UTC.
		{Key: "k6", Org: orgB, Channel: store.ChannelEmail, At: time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)},
	} {
		if _, err := s.RecordNotice(ctx, n); err != nil {
			t.Fatalf("notice %d: %v", i, err)
		}
	}
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, clock.Norway), time.Date(2027, 1, 1, 0, 0, 0, 0, clock.Norway)
	got, err := s.UsageRows(ctx, from, to, clock.Norway)
	if err != nil {
		t.Fatal(err)
	}
	auth := string(job.Authenticated)
	want := []store.UsageRow{
		{Org: orgA, Month: "2026-11", Item: auth, Count: 3},
		{Org: orgA, Month: "2026-11", Item: store.ChannelEmail, Count: 1},
		{Org: orgA, Month: "2026-11", Item: store.ChannelSMS, Count: 2},
		{Org: orgA, Month: "2026-12", Item: auth, Count: 1},
		{Org: orgA, Month: "2026-12", Item: store.ChannelEmail, Count: 1},
		{Org: orgB, Month: "2026-11", Item: auth, Count: 1},
		{Org: orgB, Month: "2026-11", Item: store.ChannelEmail, Count: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UsageRows:\n got %+v\nwant %+v", got, want)
	}
}

func testOnboard(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := store.Org{Number: orgA, Name: "Lånekassen test", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated},
		CreatedAt: t0, ContactEmail: "post@a.example"}
	admin := store.User{Org: orgA, PID: "21909825250", Name: "Ada", Email: "ada@a.example", Role: store.RoleAdmin,
		CreatedAt: t0, CreatedBy: "admin:07839635529"}
	if err := s.Onboard(ctx, by, o, admin); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Org(ctx, orgA); err != nil || !reflect.DeepEqual(got, o) {
		t.Fatalf("Org = %+v, %v", got, err)
	}
	if got, err := s.User(ctx, orgA, admin.PID); err != nil || !reflect.DeepEqual(got, admin) {
		t.Fatalf("User = %+v, %v", got, err)
	}
	again := o
	again.Name = "Someone else"
	other := admin
	other.PID = "03896127682"
	if err := s.Onboard(ctx, by, again, other); !errs.Is(err, errs.Conflict) {
		t.Fatalf("onboarding a number twice: %v, want a conflict", err)
	}
	if got, _ := s.Org(ctx, orgA); got.Name != o.Name {
		t.Fatalf("the second onboarding renamed the organisation to %q", got.Name)
	}
	if _, err := s.User(ctx, orgA, other.PID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("the second onboarding added a user: %v", err)
	}
}
