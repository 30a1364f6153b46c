package notify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	devmail "github.com/segl/segl/internal/dev/mail"
	"github.com/segl/segl/internal/notify"
)

// TestErrorsNameNoRecipient: a mail server's and an SMS gateway's refusal
// quoting the recipient, and a refusal of the address before sending,
// give errors whose text (what the log and the failed task's record keep)
// does not hold the recipient's address or number, in any case or form,
// and that are classified as before.
func TestErrorsNameNoRecipient(t *testing.T) {
	t.Run("smtp", func(t *testing.T) {
		srv := &devmail.Server{Reject: func(verb, arg string) (int, string) {
			if verb == "RCPT" {
				return 550, "5.1.1 <KARI.Nordmann@example.no>: Recipient address rejected: User unknown"
			}
			return 0, ""
		}}
		m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic})
		err := m.Send(t.Context(), signRequest("nb"))
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "550") {
			t.Fatalf("Send = %v, want a permanent failure naming the reply", err)
		}
		if strings.Contains(strings.ToLower(err.Error()), "kari.nordmann@example.no") {
			t.Errorf("the error names the recipient: %v", err)
		}
		bad := signRequest("nb")
		bad.To = "kari nordmann@example.no"
		if err := m.Send(t.Context(), bad); !errors.Is(err, notify.ErrInvalid) || strings.Contains(err.Error(), bad.To) {
			t.Errorf("Send to a bad address = %v, want ErrInvalid without the address", err)
		}
	})
	t.Run("sms", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"+4791234567 (4791234567, 91234567) is not a mobile number"}`, http.StatusBadRequest)
		}))
		defer hs.Close()
		g := &notify.HTTPGateway{URL: hs.URL, Token: "tok"}
		m := notify.Message{To: "+4791234567", Lang: "nb", Template: notify.OneTimeCode, Data: map[string]any{"Code": "493817", "Minutes": 10}}
		err := g.Send(t.Context(), m)
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "400") {
			t.Fatalf("Send = %v, want a permanent failure naming the status", err)
		}
		if strings.Contains(err.Error(), "91234567") {
			t.Errorf("the error names the recipient: %v", err)
		}
		m.To = "+47 91234567"
		if err := g.Send(t.Context(), m); !errors.Is(err, notify.ErrInvalid) || strings.Contains(err.Error(), "91234567") {
			t.Errorf("Send to a bad number = %v, want ErrInvalid without the number", err)
		}
	})
}
