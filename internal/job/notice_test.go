package job

import "testing"

func TestNotice(t *testing.T) {
	tests := []struct {
		name              string
		reached, reserved bool
		want              SignerStatus
		events            int
	}{
		{"reached", true, false, SignerNotified, 1},
		{"reserved", false, true, SignerReserved, 1},
		{"no contact data", false, false, SignerWaiting, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := sequentialJob()
			id := j.Signers[0].ID
			ev, err := j.Notice(id, "email", tt.reached, tt.reserved, now)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := j.Signer(id); s.Status != tt.want || s.Notice != "email" || len(ev) != tt.events {
				t.Fatalf("signer %s notice %q, %d events; want %s, 1", s.Status, s.Notice, len(ev), tt.want)
			}
			// A reminder changes the text, never the status.
			ev, err = j.Notice(id, "sms", true, false, now)
			if s, _ := j.Signer(id); err != nil || len(ev) != 0 && tt.want != SignerWaiting || s.Notice != "sms" {
				t.Fatalf("reminder: %v, %d events, notice %q", err, len(ev), s.Notice)
			}
		})
	}
	j := sequentialJob()
	if _, err := j.SignBy(j.Signers[0].ID, "pid:x", now, nil); err != nil {
		t.Fatal(err)
	}
	if ev, err := j.Notice(j.Signers[0].ID, "email", true, false, now); err != nil || len(ev) != 0 || j.Signers[0].Notice != "" {
		t.Fatalf("notice to a signer who signed: %v, %v, %q", ev, err, j.Signers[0].Notice)
	}
}
