// Package devmailbox is the development stand-in for the digital mailbox: it
// serves Digipost's POST /messages (see mailbox/digipost) for the synthetic
// population and keeps every delivered document in memory, per person, so
// that tests and the captured-mail view can look at the exact bytes.
//
// It checks what the real service checks where it can: the Date window of
// five minutes, the body hash, the sender id and, when a public key is
// configured, the request signature. Persons without a digital mailbox in
// the population, and unknown persons, are refused with UNKNOWN_RECIPIENT,
// which the adapter reports as mailbox.ErrNoMailbox.
//
// It accepts e-Boks users too and records their provider: in development
// one stand-in stands for both mailboxes, although in production e-Boks is
// reached through DPI, not the Digipost API (see the gaps in mailbox/digipost).
//
// GET /_test/inbox/{pid} lists a person's deliveries as JSON.
package devmailbox

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/mailbox/digipost"
)

// Options configure the stand-in. The zero value accepts any sender and does
// not check signatures.
type Options struct {
	// SenderID, when set, is the only X-Digipost-UserId accepted.
	SenderID string
	// PublicKey, when set, verifies X-Digipost-Signature.
	PublicKey *rsa.PublicKey
	// Now is the clock for the Date window and delivery times; nil means time.Now.
	Now func() time.Time
	// MaxSize bounds a request body; 0 means 128 MiB.
	MaxSize int64
}

// Delivery is one document received.
type Delivery struct {
	MessageID   string    `json:"message_id"`
	Provider    string    `json:"provider"`
	Subject     string    `json:"subject"`
	FileType    string    `json:"file_type"`
	AuthLevel   string    `json:"authentication_level"`
	Body        []byte    `json:"-"`
	SHA256      string    `json:"sha256"`
	Size        int       `json:"size"`
	DeliveredAt time.Time `json:"delivered_at"`
}

// Handler is the stand-in.
type Handler struct {
	opts   Options
	people map[string]population.Person
	mux    *http.ServeMux

	mu    sync.Mutex
	inbox map[string][]Delivery // by pid
	ids   map[string]bool       // message ids seen
}

// New builds the stand-in for pop.
func New(pop *population.Population, opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 128 << 20
	}
	h := &Handler{opts: opts, people: map[string]population.Person{}, mux: http.NewServeMux(), inbox: map[string][]Delivery{}, ids: map[string]bool{}}
	for _, p := range pop.People {
		h.people[p.PID] = p
	}
	h.mux.HandleFunc("POST /messages", h.send)
	h.mux.HandleFunc("GET /_test/inbox/{pid}", h.list)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Inbox returns a copy of what pid has received, oldest first.
func (h *Handler) Inbox(pid string) []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Delivery, len(h.inbox[pid]))
	copy(out, h.inbox[pid])
	return out
}

// maxInbox is how many deliveries the stand-in keeps per person, newest.
const maxInbox = 50

func (h *Handler) send(w http.ResponseWriter, r *http.Request) {
	body, err := readAll(http.MaxBytesReader(w, r.Body, h.opts.MaxSize), min(r.ContentLength, h.opts.MaxSize))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "CLIENT_TECHNICAL", codeRequestTooLarge, err.Error())
		return
	}
	if h.opts.SenderID != "" && r.Header.Get("X-Digipost-UserId") != h.opts.SenderID {
		fail(w, http.StatusForbidden, "CLIENT_TECHNICAL", codeUnknownSender, "unknown X-Digipost-UserId")
		return
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if d := h.opts.Now().Sub(date); err != nil || d > 5*time.Minute || d < -5*time.Minute {
		fail(w, http.StatusForbidden, "CLIENT_TECHNICAL", codeInvalidDate, "Date missing or more than five minutes off")
		return
	}
	if err := digipost.Verify(r, body, h.opts.PublicKey); err != nil {
		fail(w, http.StatusForbidden, "CLIENT_TECHNICAL", codeInvalidSignature, err.Error())
		return
	}
	msg, docs, err := parse(r.Header.Get("Content-Type"), body)
	if err != nil {
		fail(w, http.StatusBadRequest, "CLIENT_DATA", codeInvalidMessage, err.Error())
		return
	}
	content, ok := docs[msg.Primary.UUID]
	if !ok || msg.ID == "" || msg.Primary.Subject == "" || msg.Primary.FileType == "" {
		fail(w, http.StatusBadRequest, "CLIENT_DATA", codeInvalidMessage, "message-id, subject, file-type and the primary document's part are required")
		return
	}
	p, known := h.people[msg.Recipient.PID]
	if !known || p.DigitalMailbox == "" || p.KRRStatus != "active" {
		fail(w, http.StatusNotFound, "CLIENT_DATA", digipost.CodeUnknownRecipient, "the recipient has no digital mailbox")
		return
	}
	now := h.opts.Now().UTC().Truncate(time.Millisecond)
	sum := sha256.Sum256(content)
	h.mu.Lock()
	if h.ids[msg.ID] {
		h.mu.Unlock()
		fail(w, http.StatusConflict, "CLIENT_DATA", digipost.CodeDuplicateMessage, "message-id already used")
		return
	}
	h.ids[msg.ID] = true
	box := append(h.inbox[p.PID], Delivery{
		MessageID: msg.ID, Provider: p.DigitalMailbox, Subject: msg.Primary.Subject, FileType: msg.Primary.FileType,
		AuthLevel: msg.Primary.AuthenticationLevel, Body: content, SHA256: hex.EncodeToString(sum[:]), Size: len(content), DeliveredAt: now,
	})
	if len(box) > maxInbox {
		// A long-running development server (or a benchmark) must not keep
		// every document it was ever sent.
		box = slices.Delete(box, 0, len(box)-maxInbox)
	}
	h.inbox[p.PID] = box
	h.mu.Unlock()
	w.Header().Set("Content-Type", digipost.MediaTypeXML)
	_ = xml.NewEncoder(w).Encode(digipost.Delivery{MessageID: msg.ID, Method: "DIGIPOST", Status: "DELIVERED", DeliveryTime: now})
}

// parse reads the multipart body: the message part, then documents keyed by
// the filename of their part (the document's uuid).
func parse(contentType string, body []byte) (*digipost.Message, map[string][]byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil, nil, errString("not a multipart body")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var msg *digipost.Message
	docs := map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if msg == nil {
			data, err := io.ReadAll(part) // a few hundred bytes of XML
			if err != nil {
				return nil, nil, err
			}
			msg = new(digipost.Message)
			if err := xml.Unmarshal(data, msg); err != nil {
				return nil, nil, err
			}
			continue
		}
		data, err := readAll(part, int64(len(body))) // a document: one buffer, no doubling
		if err != nil {
			return nil, nil, err
		}
		docs[part.FileName()] = data
	}
	if msg == nil {
		return nil, nil, errString("no message part")
	}
	return msg, docs, nil
}

// readAll reads r to its end into one buffer of size bytes when size (a
// request's Content-Length) is known, rather than the doubling io.ReadAll
// does: the stand-in receives every signed document and receipt, and
// io.ReadAll's copies were most of what it allocated.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead)) // ReadFrom's last read sees the end
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

type errString string

func (e errString) Error() string { return string(e) }

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h.Inbox(r.PathValue("pid")))
}

func fail(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", digipost.MediaTypeXML)
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(digipost.Error{Code: code, Message: msg, Type: typ})
}
