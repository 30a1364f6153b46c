// Package devmailbox is the development stand-in for the digital mailbox: it
// serves Digipost's POST /messages (see mailbox/digipost) for the synthetic
// population and keeps the newest delivered messages (their primary
// documents and attachments) in memory, per person, so that tests and the
// captured-mail view can look at the exact bytes.
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
	// MaxKept bounds the bytes of the messages kept, all persons'
	// together; 0 means 64 MiB. The oldest go first; the newest is kept
	// whatever its size. Besides, up to 16 MiB of the buffers of messages
	// no longer kept are held for the next messages.
	MaxKept int64
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

	mu        sync.Mutex
	inbox     map[string][]Delivery // by pid, oldest first
	kept      []kept                // every message in inbox, oldest first
	bytes     int64                 // the buffers of kept together
	free      [][]byte              // buffers of messages no longer kept, for the next ones
	freeBytes int64                 // the buffers of free together
	ids       map[messageID]bool    // the message ids of the last maxIDs messages
	order     []messageID           // ids' keys, a ring: the oldest at next
	next      int
}

// kept is a message in an inbox: whose, and the buffer of the request
// body its documents are slices of.
type kept struct {
	pid string
	buf []byte
}

// messageID is the SHA-256 of a message id, shortened: the stand-in
// remembers many of them.
type messageID [16]byte

// Bounds of what the stand-in keeps, so that a long-running development
// server (or a benchmark) does not keep every message it was ever sent.
const (
	maxKept      = 1000     // messages kept, all persons' together
	maxIDs       = 250_000  // message ids remembered for DUPLICATE_MESSAGE: minutes of a benchmark's deliveries, far longer than a retry waits
	maxFree      = 8        // buffers kept for reuse
	maxFreeBytes = 16 << 20 // the bytes of those buffers together, beyond MaxKept
	bufQuantum   = 64 << 10 // buffers are a multiple of this, so that a body a few bytes longer than the last fits its buffer
)

// New builds the stand-in for pop.
func New(pop *population.Population, opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 128 << 20
	}
	if opts.MaxKept <= 0 {
		opts.MaxKept = 64 << 20
	}
	h := &Handler{opts: opts, people: map[string]population.Person{}, mux: http.NewServeMux(), inbox: map[string][]Delivery{},
		ids: map[messageID]bool{}}
	for _, p := range pop.People {
		h.people[p.PID] = p
	}
	h.mux.HandleFunc("POST /messages", h.send)
	h.mux.HandleFunc("GET /_test/inbox/{pid}", h.list)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Inbox returns a copy of the messages pid has received and the stand-in
// still keeps, oldest first, with the SHA-256 of every document: hashed
// here, for whoever looks, rather than for every delivery (a benchmark
// delivers thousands). The documents are copies too: the buffer of a
// message dropped is reused for another.
func (h *Handler) Inbox(pid string) []Delivery {
	h.mu.Lock()
	out := slices.Clone(h.inbox[pid])
	for i := range out {
		d := &out[i]
		d.Body = bytes.Clone(d.Body)
		d.Attachments = slices.Clone(d.Attachments)
		for j := range d.Attachments {
			d.Attachments[j].Body = bytes.Clone(d.Attachments[j].Body)
		}
	}
	h.mu.Unlock()
	for i := range out {
		d := &out[i]
		d.Document = withSum(d.Document)
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

func (h *Handler) send(w http.ResponseWriter, r *http.Request) {
	body, err := readAll(http.MaxBytesReader(w, r.Body, h.opts.MaxSize), h.buffer(min(r.ContentLength, h.opts.MaxSize)))
	keeping := false
	defer func() {
		if !keeping {
			h.reuse(body)
		}
	}()
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
	sum := sha256.Sum256([]byte(msg.ID))
	id := messageID(sum[:len(messageID{})])
	h.mu.Lock()
	if h.ids[id] {
		h.mu.Unlock()
		fail(w, http.StatusConflict, "CLIENT_DATA", digipost.CodeDuplicateMessage, "message-id already used")
		return
	}
	h.remember(id)
	h.inbox[p.PID] = append(h.inbox[p.PID], Delivery{MessageID: msg.ID, Provider: p.DigitalMailbox,
		Document: received[0], Attachments: received[1:], DeliveredAt: now})
	h.kept = append(h.kept, kept{pid: p.PID, buf: body})
	h.bytes += int64(cap(body))
	keeping = true
	for len(h.kept) > 1 && (len(h.kept) > maxKept || h.bytes > h.opts.MaxKept) {
		h.dropOldest()
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", digipost.MediaTypeXML)
	w.Write(appendDelivered(make([]byte, 0, 256), msg.ID, now))
}

// appendDelivered appends the answer to a message delivered: what
// encoding/xml writes of digipost.Delivery{MessageID: id, Method:
// "DIGIPOST", Status: "DELIVERED", DeliveryTime: at}, byte for byte
// (TestDeliveredIsEncodingXML), without its reflection on every message.
func appendDelivered(b []byte, id string, at time.Time) []byte {
	b = append(b, `<message-delivery xmlns="http://api.digipost.no/schema/v8"><message-id>`...)
	b = appendEscaped(b, id)
	b = append(b, `</message-id><delivery-method>DIGIPOST</delivery-method><status>DELIVERED</status><delivery-time>`...)
	b = at.AppendFormat(b, time.RFC3339Nano)
	return append(b, `</delivery-time></message-delivery>`...)
}

// appendEscaped appends s as xml.EscapeText writes it: printable ASCII
// other than the five markup characters as it is, anything else escaped
// by encoding/xml itself.
func appendEscaped(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = ' ' <= c && c <= '~' && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>'
	}
	if plain {
		return append(b, s...)
	}
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	return append(b, buf.Bytes()...)
}

// remember adds id to the message ids seen, forgetting the oldest of
// maxIDs. h.mu is held.
func (h *Handler) remember(id messageID) {
	if len(h.order) < maxIDs {
		h.order = append(h.order, id)
	} else {
		delete(h.ids, h.order[h.next])
		h.order[h.next] = id
		h.next = (h.next + 1) % maxIDs
	}
	h.ids[id] = true
}

// dropOldest drops the oldest message kept, the first of its person's,
// and keeps its buffer for reuse. h.mu is held.
func (h *Handler) dropOldest() {
	k := h.kept[0]
	h.kept[0] = kept{}
	h.kept = h.kept[1:]
	h.bytes -= int64(cap(k.buf))
	box := h.inbox[k.pid]
	box[0] = Delivery{}
	if box = box[1:]; len(box) == 0 {
		delete(h.inbox, k.pid)
	} else {
		h.inbox[k.pid] = box
	}
	h.reuseLocked(k.buf)
}

// buffer returns an empty buffer for a body of size bytes (0 when not
// known): one of a message no longer kept when one is large enough.
func (h *Handler) buffer(size int64) []byte {
	if size <= 0 {
		return nil
	}
	need := size + bytes.MinRead // ReadFrom's last read sees the end
	h.mu.Lock()
	for i, b := range h.free {
		if int64(cap(b)) >= need && int64(cap(b)) < 2*need {
			h.free = slices.Delete(h.free, i, i+1)
			h.freeBytes -= int64(cap(b))
			h.mu.Unlock()
			return b[:0]
		}
	}
	h.mu.Unlock()
	return make([]byte, 0, (need+bufQuantum-1)/bufQuantum*bufQuantum)
}

// reuse keeps buf, of a body not kept, for a later body.
func (h *Handler) reuse(buf []byte) {
	h.mu.Lock()
	h.reuseLocked(buf)
	h.mu.Unlock()
}

func (h *Handler) reuseLocked(buf []byte) {
	if cap(buf) == 0 || cap(buf) > maxFreeBytes {
		return
	}
	// The oldest make room.
	for len(h.free) == maxFree || h.freeBytes+int64(cap(buf)) > maxFreeBytes {
		h.freeBytes -= int64(cap(h.free[0]))
		h.free = slices.Delete(h.free, 0, 1)
	}
	h.free = append(h.free, buf[:0])
	h.freeBytes += int64(cap(buf))
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

// readAll reads r to its end into buf, which was made the size of the
// body when its size (a request's Content-Length) is known, rather than
// growing by doubling as io.ReadAll does: the stand-in receives every
// signed document and receipt, and io.ReadAll's copies were most of what it
// allocated.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	b := bytes.NewBuffer(buf)
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
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
