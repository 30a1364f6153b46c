package digipost_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
)

// TestErrorsNameNoRecipient: Digipost's refusal quoting the recipient's
// identity number gives an error whose text (what the log and the failed
// task's record keep) does not hold it, classified as before.
func TestErrorsNameNoRecipient(t *testing.T) {
	const pid = "21909825250"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", digipost.MediaTypeXML)
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `<error xmlns="http://api.digipost.no/schema/v8"><error-code>`+digipost.CodeUnknownRecipient+
			`</error-code><error-message>no mailbox for `+pid+`</error-message><error-type>CLIENT_DATA</error-type></error>`)
	}))
	defer srv.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := &digipost.Client{BaseURL: srv.URL, SenderID: "123456", Key: key, HTTP: srv.Client()}
	body := "%PDF-1.7 signed"
	_, err = c.Deliver(t.Context(), pid, mailbox.Message{ID: "7f2c1b8e-0000-4000-8000-000000000001",
		Primary: mailbox.Document{Title: "Avtale", FileName: "avtale.pdf", MediaType: "application/pdf",
			Body: strings.NewReader(body), Size: int64(len(body))}})
	if !errors.Is(err, mailbox.ErrNoMailbox) {
		t.Fatalf("Deliver = %v, want ErrNoMailbox", err)
	}
	if strings.Contains(err.Error(), pid) {
		t.Errorf("the error names the recipient: %v", err)
	}
}
