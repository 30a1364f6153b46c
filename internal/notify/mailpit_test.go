package notify_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/notify"
)

// TestMailpit sends through a mail server we did not write, mailpit
// (github.com/axllent/mailpit), and reads the message back through its API,
// so our MIME is checked by someone else's parser. It runs when SEGL_MAILPIT
// names the binary or mailpit is on PATH; it is not installed by
// scripts/install-deps.sh, so it skips otherwise, in CI too.
func TestMailpit(t *testing.T) {
	bin := os.Getenv("SEGL_MAILPIT")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("mailpit"); err != nil {
			t.Skip("mailpit not found: set SEGL_MAILPIT to its binary")
		}
	}
	smtpAddr, httpAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--disable-version-check", "--smtp", smtpAddr, "--listen", httpAddr,
		"--database", t.TempDir()+"/mailpit.db")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", smtpAddr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("mailpit did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	m := newSMTP(t, notify.SMTPConfig{Addr: smtpAddr, FromName: "segl – fellesløsning", TLS: notify.StartTLSOpportunistic})
	msg := signRequest("nb")
	msg.Data["Title"] = strings.Repeat("Lærekontrakt for Åse Øvrebø ", 4) + "😀"
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}

	var list struct {
		Messages []struct{ ID string }
	}
	getJSON(t, "http://"+httpAddr+"/api/v1/messages", &list)
	if len(list.Messages) != 1 {
		t.Fatalf("mailpit holds %d messages", len(list.Messages))
	}
	var got struct {
		Subject string
		From    struct{ Name, Address string }
		To      []struct{ Address string }
		Text    string
		HTML    string
	}
	getJSON(t, "http://"+httpAddr+"/api/v1/message/"+list.Messages[0].ID, &got)
	wantSubject := "Bærum kommune ber deg signere «" + strings.TrimSpace(msg.Data["Title"].(string)) + "»"
	if got.Subject != wantSubject {
		t.Errorf("subject %q, want %q", got.Subject, wantSubject)
	}
	if got.From.Name != "segl – fellesløsning" || got.From.Address != "noreply@segl.example.no" {
		t.Errorf("from %+v", got.From)
	}
	if len(got.To) != 1 || got.To[0].Address != "kari.nordmann@example.no" {
		t.Errorf("to %+v", got.To)
	}
	for _, part := range []string{got.Text, got.HTML} {
		for _, want := range []string{"Åse Øvrebø", "Bærum kommune", "31. mars 2026 kl. 15:00", "https://segl.example.no/sign/abc123?t=x&"} {
			if !strings.Contains(part, want) {
				t.Errorf("part lacks %q:\n%s", want, part)
			}
		}
	}

}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", url, err))
	}
}
