package job

import (
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
)

func TestJobTransitions(t *testing.T) {
	tests := []struct {
		name string
		from Status
		a    Action
		want Status
		ok   bool
	}{
		{"ok/activate", StatusCreated, Activate, StatusActive, true},
		{"ok/cancel-before-activation", StatusCreated, Cancel, StatusCancelled, true},
		{"ok/signed", StatusActive, Sign, StatusSigned, true},
		{"ok/complete", StatusSigned, Complete, StatusCompleted, true},
		{"fail/complete-active", StatusActive, Complete, StatusActive, false},
		{"fail/cancel-signed", StatusSigned, Cancel, StatusSigned, false},
		{"fail/expire-signed", StatusSigned, Expire, StatusSigned, false},
		{"ok/reject", StatusActive, Reject, StatusRejected, true},
		{"ok/expire", StatusActive, Expire, StatusExpired, true},
		{"ok/fail", StatusActive, Fail, StatusFailed, true},
		{"fail/complete-created", StatusCreated, Complete, StatusCreated, false},
		{"fail/cancel-completed", StatusCompleted, Cancel, StatusCompleted, false},
		{"fail/activate-active", StatusActive, Activate, StatusActive, false},
		{"fail/expire-cancelled", StatusCancelled, Expire, StatusCancelled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.from.Next(tt.a)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("%s.Next(%s) = %s, %v; want %s, ok=%v", tt.from, tt.a, got, err, tt.want, tt.ok)
			}
			if err != nil && !errs.Is(err, errs.Conflict) {
				t.Fatalf("error kind = %v, want conflict", errs.KindOf(err))
			}
		})
	}
}

func TestSignerTransitions(t *testing.T) {
	tests := []struct {
		name string
		from SignerStatus
		a    Action
		want SignerStatus
		ok   bool
	}{
		{"ok/notify", SignerWaiting, Notify, SignerNotified, true},
		{"ok/reserve", SignerWaiting, Reserve, SignerReserved, true},
		{"ok/sign-direct", SignerWaiting, Sign, SignerSigned, true},
		{"ok/sign-notified", SignerNotified, Sign, SignerSigned, true},
		{"ok/reserved-signs-in-portal", SignerReserved, Sign, SignerSigned, true},
		{"ok/cancel", SignerNotified, Cancel, SignerCancelled, true},
		{"fail/sign-twice", SignerSigned, Sign, SignerSigned, false},
		{"fail/notify-twice", SignerNotified, Notify, SignerNotified, false},
		{"fail/reject-after-expiry", SignerExpired, Reject, SignerExpired, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.from.Next(tt.a)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("%s.Next(%s) = %s, %v; want %s, ok=%v", tt.from, tt.a, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestCancelEndsOpenSigners(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	j := &Job{ID: "j", Status: StatusActive, Signers: []Signer{
		{ID: "a", Status: SignerSigned}, {ID: "b", Status: SignerNotified}, {ID: "c", Status: SignerWaiting},
	}}
	events, err := j.Cancel("org:1", now)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusCancelled {
		t.Fatalf("job status %s", j.Status)
	}
	want := []SignerStatus{SignerSigned, SignerCancelled, SignerCancelled}
	for i, s := range j.Signers {
		if s.Status != want[i] {
			t.Errorf("signer %s: %s, want %s", s.ID, s.Status, want[i])
		}
	}
	if len(events) != 3 || events[0].Type != "job.cancelled" || events[1].Type != "signer.cancelled" {
		t.Fatalf("events %+v", events)
	}
	if _, err := j.Cancel("org:1", now); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second cancel: %v, want conflict", err)
	}
}

func TestExpireOnlyWhenDue(t *testing.T) {
	exp := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	j := &Job{ID: "j", Status: StatusActive, ExpiresAt: exp, Signers: []Signer{{ID: "a", Status: SignerWaiting}}}
	if _, err := j.Expire(exp.Add(-time.Second)); !errs.Is(err, errs.Conflict) {
		t.Fatalf("early expire: %v", err)
	}
	if _, err := j.Expire(exp); err != nil || j.Status != StatusExpired || j.Signers[0].Status != SignerExpired {
		t.Fatalf("expire: %v, %s/%s", err, j.Status, j.Signers[0].Status)
	}
}

func TestDeleteAfter(t *testing.T) {
	end := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		j    Job
		want time.Time
	}{
		{"ok/not-ended", Job{RetainDays: 30}, time.Time{}},
		{"ok/org-default-days", Job{EndedAt: end, RetainDays: 30}, end.AddDate(0, 0, 30)},
		{"ok/no-days-is-default", Job{EndedAt: end}, end.AddDate(0, 0, DefaultRetentionDays)},
		{"ok/archived-years", Job{EndedAt: end, RetainDays: 30, Retention: Retention{Archive: true, Years: 50}},
			time.Date(2076, 1, 31, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := tt.j.DeleteAfter(); !got.Equal(tt.want) {
			t.Errorf("%s: DeleteAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEndSetsEndedAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	j := &Job{Status: StatusActive, ExpiresAt: now}
	if _, err := j.Expire(now); err != nil {
		t.Fatal(err)
	}
	if !j.EndedAt.Equal(now) {
		t.Fatalf("EndedAt = %v, want %v", j.EndedAt, now)
	}
}

func TestAllows(t *testing.T) {
	for _, tt := range []struct {
		s    Status
		a    Action
		want bool
	}{
		{StatusActive, Cancel, true}, {StatusCreated, Cancel, true},
		{StatusSigned, Cancel, false}, {StatusSigned, Complete, true}, {StatusCompleted, Cancel, false},
	} {
		if got := tt.s.Allows(tt.a); got != tt.want {
			t.Errorf("%s.Allows(%s) = %v, want %v", tt.s, tt.a, got, tt.want)
		}
	}
}
