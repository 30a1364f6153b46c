// Package devmailbox is the development stand-in for the digital mailbox: it
// serves Digipost's POST /messages (see mailbox/digipost) for the synthetic
// population and keeps every delivered message (its primary document and
// attachments) in memory, per person, so that tests and the captured-mail
// view can look at the exact bytes.
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
// GET /_test/inbox/{pid} lists a person's messages as JSON: the primary
// document's fields, and its attachments.
package devmailbox

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
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

// Delivery is one message received. Its primary document is embedded, so
// that its fields read as the delivery's (d.Subject, d.Body), as they did
// when a message had one document.
type Delivery struct {
	MessageID string `json:"message_id"`
	Provider  string `json:"provider"`
	Document
	Attachments []Document `json:"attachments,omitempty"`
	DeliveredAt time.Time  `json:"delivered_at"`
}

// Document is one document of a message received.
type Document struct {
	UUID      string `json:"uuid"`
	Subject   string `json:"subject"`
	FileType  string `json:"file_type"`
	AuthLevel string `json:"authentication_level"`
	Body      []byte `json:"-"`      // a slice of the request body it came in
	SHA256    string `json:"sha256"` // filled in by Inbox, not by every delivery
	Size      int    `json:"size"`
}

// Documents returns the primary document and then the attachments.
func (d *Delivery) Documents() []Document {
	return append([]Document{d.Document}, d.Attachments...)
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

// Inbox returns a copy of the messages pid has received, oldest first,
// with the SHA-256 of every document: hashed here, for whoever looks,
// rather than for every delivery (a benchmark delivers thousands).
func (h *Handler) Inbox(pid string) []Delivery {
	h.mu.Lock()
	out := slices.Clone(h.inbox[pid])
	h.mu.Unlock()
	for i := range out {
		d := &out[i]
		d.Document = withSum(d.Document)
		d.Attachments = slices.Clone(d.Attachments)
		for j := range d.Attachments {
			d.Attachments[j] = withSum(d.Attachments[j])
		}
	}
	return out
}

func withSum(d Document) Document {
	sum := sha256.Sum256(d.Body)
	d.SHA256 = hex.EncodeToString(sum[:])
	return d
}

// maxInbox is how many messages the stand-in keeps per person, newest.
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
	received, err := documents(msg, docs)
	if err != nil {
		fail(w, http.StatusBadRequest, "CLIENT_DATA", codeInvalidMessage, err.Error())
		return
	}
	p, known := h.people[msg.Recipient.PID]
	if !known || p.DigitalMailbox == "" || p.KRRStatus != "active" {
		fail(w, http.StatusNotFound, "CLIENT_DATA", digipost.CodeUnknownRecipient, "the recipient has no digital mailbox")
		return
	}
	now := h.opts.Now().UTC().Truncate(time.Millisecond)
	h.mu.Lock()
	if h.ids[msg.ID] {
		h.mu.Unlock()
		fail(w, http.StatusConflict, "CLIENT_DATA", digipost.CodeDuplicateMessage, "message-id already used")
		return
	}
	h.ids[msg.ID] = true
	box := append(h.inbox[p.PID], Delivery{MessageID: msg.ID, Provider: p.DigitalMailbox,
		Document: received[0], Attachments: received[1:], DeliveredAt: now})
	if len(box) > maxInbox {
		// A long-running development server (or a benchmark) must not keep
		// every message it was ever sent.
		box = slices.Delete(box, 0, len(box)-maxInbox)
	}
	h.inbox[p.PID] = box
	h.mu.Unlock()
	w.Header().Set("Content-Type", digipost.MediaTypeXML)
	_ = xml.NewEncoder(w).Encode(digipost.Delivery{MessageID: msg.ID, Method: "DIGIPOST", Status: "DELIVERED", DeliveryTime: now})
}

// documents pairs each document the message describes, primary first,
// with its part, as the message model implies: a message-id, a subject and
// a file type for every document, a part for each and no part left over.
func documents(msg *digipost.Message, parts map[string][]byte) ([]Document, error) {
	if msg.ID == "" {
		return nil, errString("message-id is required")
	}
	described := msg.Documents()
	if len(parts) != len(described) {
		return nil, errString("the message describes " + strconv.Itoa(len(described)) + " documents but has " + strconv.Itoa(len(parts)) + " document parts")
	}
	out := make([]Document, len(described))
	for i, d := range described {
		content, ok := parts[d.UUID]
		if !ok || d.Subject == "" || d.FileType == "" {
			return nil, errString("every document needs a subject, a file type and a part named by its uuid")
		}
		out[i] = Document{UUID: d.UUID, Subject: d.Subject, FileType: d.FileType, AuthLevel: d.AuthenticationLevel,
			Body: content, Size: len(content)}
	}
	return out, nil
}

// parse reads the multipart body: the message part, then documents keyed
// by the filename of their part (the document's uuid). The documents are
// slices of body, which the stand-in keeps as it is: nothing it receives
// is copied again.
func parse(contentType string, body []byte) (*digipost.Message, map[string][]byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, nil, errString("not a multipart body")
	}
	parts, err := split(body, params["boundary"])
	if err != nil {
		return nil, nil, err
	}
	if len(parts) == 0 {
		return nil, nil, errString("no message part")
	}
	msg := new(digipost.Message)
	if err := xml.Unmarshal(parts[0].content, msg); err != nil {
		return nil, nil, err
	}
	docs := make(map[string][]byte, len(parts)-1)
	for _, p := range parts[1:] {
		_, disposition, err := mime.ParseMediaType(p.header.Get("Content-Disposition"))
		if err != nil {
			return nil, nil, errString("a document part without a Content-Disposition")
		}
		name := disposition["filename"]
		if _, dup := docs[name]; dup {
			return nil, nil, errString("two parts named " + name)
		}
		docs[name] = p.content
	}
	return msg, docs, nil
}

// part is one body part of a multipart body: its header and its content,
// a slice of the body.
type part struct {
	header  textproto.MIMEHeader
	content []byte
}

// maxParts bounds the parts of a body, so that a body of many tiny parts
// cannot make the stand-in allocate far more than the body's size.
const maxParts = 1000

var crlf = []byte("\r\n")

// split cuts a multipart body into its parts (RFC 2046 §5.1.1): each part
// follows a line of "--" and the boundary (transport padding, spaces and
// tabs, may end the line), and ends at the CRLF before the next such line;
// the last is followed by "--" and the boundary and "--". What comes
// before the first boundary line (the preamble) and after the last (the
// epilogue) is ignored. A part is header lines, an empty line and the
// content (RFC 2046 §5.1.1: "body-part := MIME-part-headers [CRLF
// *OCTET]"), lines ending in CRLF.
func split(body []byte, boundary string) ([]part, error) {
	delim := []byte("\r\n--" + boundary)
	var at int
	if dash := delim[len(crlf):]; bytes.HasPrefix(body, dash) {
		at = len(dash)
	} else if at = bytes.Index(body, delim); at >= 0 { // after the preamble
		at += len(delim)
	} else {
		return nil, errString("no boundary line")
	}
	var parts []part
	for {
		if bytes.HasPrefix(body[at:], []byte("--")) {
			return parts, nil
		}
		line := bytes.TrimLeft(body[at:], " \t")
		if !bytes.HasPrefix(line, crlf) {
			return nil, errString("a boundary line that does not end the line")
		}
		start := len(body) - len(line) + len(crlf)
		n := bytes.Index(body[start:], delim)
		if n < 0 {
			return nil, errString("a part without a boundary after it")
		}
		if len(parts) == maxParts {
			return nil, errString("more than " + strconv.Itoa(maxParts) + " parts")
		}
		p, err := readPart(body[start : start+n : start+n])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		at = start + n + len(delim)
	}
}

// readPart reads a part's header lines up to the empty line; the rest is
// its content.
func readPart(b []byte) (part, error) {
	if bytes.HasPrefix(b, crlf) {
		return part{header: textproto.MIMEHeader{}, content: b[len(crlf):]}, nil
	}
	n := bytes.Index(b, []byte("\r\n\r\n"))
	if n < 0 {
		return part{}, errString("a part without an empty line after its header")
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(b[:n+4]))).ReadMIMEHeader()
	if err != nil {
		return part{}, errString("a part's header: " + err.Error())
	}
	return part{header: h, content: b[n+4:]}, nil
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
