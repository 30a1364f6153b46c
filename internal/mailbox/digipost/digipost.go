// Package digipost is the production adapter of mailbox.Mailbox for
// Digipost's REST API (api.digipost.no, schema v8): one signed request,
// POST /messages, carrying a multipart body whose first part is the message
// (XML: the recipient, a primary-document and any attachment elements) and
// whose next parts are the documents' contents in the same order, each
// named (Content-Disposition filename) by its document's uuid. One message
// is one request and one request signature, however many documents it has.
//
// Implemented from Digipost's public API documentation: the message and
// error XML, the request signature (SHA256withRSA over the canonical string
// of method, path, Date, X-Content-SHA256, X-Digipost-UserId and query; see
// Sign), the Date window of five minutes.
//
// Gaps, stated honestly:
//   - Sending needs a sender (broker) agreement with Posten/Digipost, which
//     assigns the X-Digipost-UserId and registers the public key of Key; none
//     of that can be exercised here, only against devmailbox.
//   - Digipost signs its responses (X-Digipost-Signature over status, path,
//     Date and X-Content-SHA256) with a key published at its entry point;
//     this adapter relies on TLS and does not verify that signature yet.
//   - The multipart media type (multipart/vnd.digipost-v8+xml), the
//     attachment element and part order, and the error codes
//     UNKNOWN_RECIPIENT and DUPLICATE_MESSAGE are taken from public client
//     code, not verified against the live API [?]. That code labels a
//     document part application/<file-type>; this adapter sends
//     application/octet-stream, the file type being in the message [?].
//   - Digipost reaches Digipost users only. e-Boks users need digital post
//     to citizens (DPI) through the eFormidling integration point
//     (shared/reference/norway-infra.md §4), an adapter not written yet; here
//     they come back as mailbox.ErrNoMailbox.
//   - No print fallback is requested: signers without a mailbox download.
package digipost

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/mailbox"
)

// Namespace is the XML namespace of API schema v8.
const Namespace = "http://api.digipost.no/schema/v8"

// Media types of the v8 API.
const (
	MediaTypeXML       = "application/vnd.digipost-v8+xml"
	MediaTypeMultipart = "multipart/vnd.digipost-v8+xml"
)

// Message is the message part of POST /messages. The schema orders its
// elements: message-id, recipient, primary-document, then the attachments.
type Message struct {
	XMLName     xml.Name   `xml:"http://api.digipost.no/schema/v8 message"`
	ID          string     `xml:"message-id"`
	Recipient   Recipient  `xml:"recipient"`
	Primary     Document   `xml:"primary-document"`
	Attachments []Document `xml:"attachment"`
}

// Documents returns the primary document and then the attachments, the
// order of the document parts.
func (m *Message) Documents() []Document {
	return append([]Document{m.Primary}, m.Attachments...)
}

// Recipient identifies the addressee; segl always knows the pid.
type Recipient struct {
	PID string `xml:"personal-identification-number"`
}

// Document describes one document of a message; its content is the
// multipart part whose filename is UUID.
type Document struct {
	UUID                string `xml:"uuid"`
	Subject             string `xml:"subject"`
	FileType            string `xml:"file-type"`
	AuthenticationLevel string `xml:"authentication-level"`
	SensitivityLevel    string `xml:"sensitivity-level"`
}

// Delivery is the answer to a successful POST /messages.
type Delivery struct {
	XMLName      xml.Name  `xml:"http://api.digipost.no/schema/v8 message-delivery"`
	MessageID    string    `xml:"message-id"`
	Method       string    `xml:"delivery-method"` // DIGIPOST, PRINT
	Status       string    `xml:"status"`          // DELIVERED, …
	DeliveryTime time.Time `xml:"delivery-time"`
}

// Error is Digipost's error body.
type Error struct {
	XMLName xml.Name `xml:"http://api.digipost.no/schema/v8 error"`
	Code    string   `xml:"error-code"`
	Message string   `xml:"error-message"`
	Type    string   `xml:"error-type"` // CLIENT_DATA, CLIENT_TECHNICAL, SERVER, …
}

// Client delivers through Digipost. BaseURL, SenderID and Key are required.
type Client struct {
	// BaseURL is the API origin, e.g. https://api.digipost.no or
	// https://api.test.digipost.no.
	BaseURL string
	// SenderID is the broker's Digipost id (X-Digipost-UserId), not the
	// organisation number.
	SenderID string
	// Key is the RSA key whose certificate is registered with Digipost for
	// SenderID. Each call signs exactly one request built here (method,
	// path, date, body hash), so it cannot be used as a general signing
	// oracle.
	Key crypto.Signer
	// AuthenticationLevel the reader needs to open the document; "" means
	// TWO_FACTOR (ID-porten level substantial or high), fitting a signed
	// agreement.
	AuthenticationLevel string
	// MaxSize bounds the documents of a message together, which are held
	// in memory to be hashed and signed; 0 means 64 MiB.
	MaxSize int64
	// HTTP is the client to use; nil means one over Transport(nil).
	HTTP *http.Client
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

var _ mailbox.Mailbox = (*Client)(nil)

// fileTypes maps the media types segl delivers to Digipost file types.
var fileTypes = map[string]string{
	"application/pdf":  "pdf",
	"text/plain":       "txt",
	"text/html":        "html",
	"application/xml":  "xml",
	"application/json": "json",
}

// Deliver implements mailbox.Mailbox: the whole message in one signed
// request.
func (c *Client) Deliver(ctx context.Context, pid string, m mailbox.Message) (mailbox.Receipt, error) {
	r, err := c.deliver(ctx, pid, m)
	// Digipost's refusal may quote the recipient's identity number, which
	// must reach no log and no failed task's record.
	return r, errs.Redact(err, pid)
}

func (c *Client) deliver(ctx context.Context, pid string, m mailbox.Message) (mailbox.Receipt, error) {
	id := m.ID
	if id == "" {
		id = uuid.NewString()
	}
	msg, err := c.message(id, pid, &m)
	if err != nil {
		return mailbox.Receipt{}, err
	}
	maxSize := c.MaxSize
	if maxSize <= 0 {
		maxSize = 64 << 20
	}
	body, contentType, err := multipartBody(msg, m.Documents(), maxSize)
	if err != nil {
		return mailbox.Receipt{}, err
	}
	defer body.release()
	first, err := body.reader() // cannot fail: Deliver holds the body
	if err != nil {
		return mailbox.Receipt{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+"/messages", first)
	if err != nil {
		first.Close()
		return mailbox.Receipt{}, fmt.Errorf("digipost: %w", err)
	}
	req.ContentLength = int64(len(body.bytes))
	req.GetBody = body.reader // a retry on another connection
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", MediaTypeXML)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := Sign(req, body.bytes, c.SenderID, c.Key, now()); err != nil {
		first.Close() // never sent: its hold would keep the buffer from the pool
		return mailbox.Receipt{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return mailbox.Receipt{}, temporary(err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return mailbox.Receipt{}, temporary(err)
	}
	if res.StatusCode != http.StatusOK {
		return duplicateOrError(res.StatusCode, answer, id)
	}
	var d Delivery
	if err := xml.Unmarshal(answer, &d); err != nil {
		return mailbox.Receipt{}, errs.Wrap(err, errs.Internal, codeBadResponse, "digipost: cannot decode delivery")
	}
	if d.Method != "DIGIPOST" {
		return mailbox.Receipt{}, errs.E(errs.Internal, codeUnexpectedDelivery, "digipost: delivered by %q", d.Method)
	}
	return mailbox.Receipt{ID: d.MessageID, Provider: "digipost", DeliveredAt: d.DeliveryTime}, nil
}

// message describes m for Digipost: each document with a uuid derived from
// the message id (stable across retries), its subject and file type.
func (c *Client) message(id, pid string, m *mailbox.Message) (Message, error) {
	level := c.AuthenticationLevel
	if level == "" {
		level = "TWO_FACTOR"
	}
	msg := Message{ID: id, Recipient: Recipient{PID: pid}}
	for i, d := range m.Documents() {
		fileType, ok := fileTypes[d.MediaType]
		if !ok {
			return Message{}, errs.E(errs.Invalid, errs.CodeUnsupportedMediaType, "digipost: cannot deliver %s", d.MediaType)
		}
		doc := Document{UUID: documentUUID(id, i), Subject: d.Title, FileType: fileType,
			AuthenticationLevel: level, SensitivityLevel: "NORMAL"}
		if i == 0 {
			msg.Primary = doc
		} else {
			msg.Attachments = append(msg.Attachments, doc)
		}
	}
	return msg, nil
}

// documentUUID names the i-th document of the message id (0 the primary
// document, whose uuid is the one a message of one document always had).
func documentUUID(id string, i int) string {
	name := "segl:" + id
	if i > 0 {
		name += "/" + strconv.Itoa(i)
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String()
}

// duplicateOrError classifies a non-200 answer. A duplicate message id means
// an earlier attempt delivered; that is success for an idempotent caller.
func duplicateOrError(status int, body []byte, id string) (mailbox.Receipt, error) {
	var e Error
	_ = xml.Unmarshal(body, &e)
	cause := fmt.Errorf("http %d: %s %s", status, e.Code, e.Message)
	switch {
	case e.Code == CodeDuplicateMessage:
		return mailbox.Receipt{ID: id, Provider: "digipost", Duplicate: true}, nil
	case e.Code == CodeUnknownRecipient:
		return mailbox.Receipt{}, errs.Wrap(fmt.Errorf("%w: %w", mailbox.ErrNoMailbox, cause), errs.NotFound, codeNoMailbox, "the person has no Digipost mailbox")
	case status >= 500 || status == http.StatusTooManyRequests:
		return mailbox.Receipt{}, temporary(cause)
	default:
		return mailbox.Receipt{}, errs.Wrap(cause, errs.Internal, codeRefused, "digipost: delivery refused")
	}
}

func temporary(err error) error {
	return errs.Wrap(fmt.Errorf("%w: %w", mailbox.ErrTemporary, err), errs.Unavailable, codeUnavailable, "digipost: unavailable")
}

// multipartBody builds the request body: the message part, then one part
// per document of msg, in its order (docs are their contents). Each
// document is read once, straight into the body, a buffer of bodies at
// least the size the documents announce; together they may not exceed
// maxSize bytes.
func multipartBody(msg Message, docs []mailbox.Document, maxSize int64) (*pooledBody, string, error) {
	x, err := xml.Marshal(msg)
	if err != nil {
		return nil, "", fmt.Errorf("digipost: %w", err)
	}
	size := int64(len(xml.Header)+len(x)) + partOverhead*int64(len(docs)+1)
	for _, d := range docs {
		size += max(d.Size, 0)
	}
	body := newPooledBody(int(min(size, maxSize+partOverhead*int64(len(docs)+1))) + bytes.MinRead) // ReadFrom's last read sees the end
	buf := bytes.NewBuffer(body.bytes)
	built := false
	defer func() {
		if built {
			body.bytes = buf.Bytes()
		} else {
			body.release()
		}
	}()
	mw := multipart.NewWriter(buf)
	w, err := createPart(mw, "message", MediaTypeXML)
	if err != nil {
		return nil, "", err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return nil, "", fmt.Errorf("digipost: %w", err)
	}
	if _, err := w.Write(x); err != nil {
		return nil, "", fmt.Errorf("digipost: %w", err)
	}
	left := maxSize
	for i, d := range msg.Documents() {
		if _, err := createPart(mw, d.UUID, "application/octet-stream"); err != nil {
			return nil, "", err
		}
		// A part's content goes to the body unchanged: read into buf
		// itself, without a copy through a buffer in between.
		n, err := buf.ReadFrom(io.LimitReader(docs[i].Body, left+1))
		switch {
		case err != nil:
			return nil, "", fmt.Errorf("digipost: read document: %w", err)
		case n > left:
			return nil, "", errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "digipost: documents larger than %d bytes", maxSize)
		case docs[i].Size != 0 && n != docs[i].Size:
			return nil, "", errs.E(errs.Invalid, codeSizeMismatch, "digipost: document is %d bytes, not %d", n, docs[i].Size)
		}
		left -= n
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("digipost: %w", err)
	}
	built = true
	return body, MediaTypeMultipart + "; boundary=" + mw.Boundary(), nil
}

// partOverhead is more than a part's boundary line and headers take.
const partOverhead = 256

func createPart(mw *multipart.Writer, filename, mediaType string) (io.Writer, error) {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, filename))
	w, err := mw.CreatePart(h)
	if err != nil {
		return nil, fmt.Errorf("digipost: %w", err)
	}
	return w, nil
}

// bodies holds the buffers of request bodies sent, for the next ones: a
// message is hundreds of kilobytes, and a buffer of its own each time is
// as many bytes allocated, zeroed and collected again.
var bodies sync.Pool

// maxPooledBody is the largest buffer kept in bodies; a body larger than
// that is rare and left to the garbage collector.
const maxPooledBody = 4 << 20

// pooledBody is a request body in a buffer from bodies. The buffer goes
// back when the last of its holders lets go: Deliver, once it has the
// answer, and every reader given to the transport, once closed. The
// transport may still be reading after the answer came (and closes the
// body when done), and may ask for the body again (GetBody) to retry on
// another connection, which happens before the answer.
type pooledBody struct {
	bytes []byte
	buf   *[]byte // from bodies
	holds atomic.Int32
}

// newPooledBody returns an empty body of at least capacity bytes, held by
// its caller.
func newPooledBody(capacity int) *pooledBody {
	b := &pooledBody{}
	if p, _ := bodies.Get().(*[]byte); p != nil && cap(*p) >= capacity {
		b.buf = p
	} else {
		if p != nil {
			bodies.Put(p)
		}
		buf := make([]byte, 0, capacity)
		b.buf = &buf
	}
	b.bytes = (*b.buf)[:0]
	b.holds.Store(1)
	return b
}

// reader is a new reader of the body, holding it until closed. Once the
// last holder let go the buffer may be another body's, so a reader asked
// for later (a retry's GetBody after the answer) is refused: adding a hold
// then would put the buffer back into the pool a second time.
func (b *pooledBody) reader() (io.ReadCloser, error) {
	for {
		n := b.holds.Load()
		if n <= 0 {
			return nil, errBodyReleased
		}
		if b.holds.CompareAndSwap(n, n+1) {
			return &bodyReader{body: b, r: bytes.NewReader(b.bytes)}, nil
		}
	}
}

// release lets go of the body; the last holder returns its buffer.
func (b *pooledBody) release() {
	if b.holds.Add(-1) != 0 {
		return
	}
	// The body may have outgrown the buffer it started in (a document
	// larger than announced); keep whichever is larger.
	if cap(b.bytes) > cap(*b.buf) {
		*b.buf = b.bytes
	}
	if cap(*b.buf) <= maxPooledBody {
		*b.buf = (*b.buf)[:0]
		bodies.Put(b.buf)
	}
}

// bodyReader reads a pooledBody until closed. Close may come from another
// goroutine than a Read (a request cancelled while it is written), so the
// two exclude each other: no Read touches the buffer once it may be
// another body's.
type bodyReader struct {
	mu   sync.Mutex
	body *pooledBody
	r    *bytes.Reader // nil once closed
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r == nil {
		return 0, errBodyClosed
	}
	return r.r.Read(p)
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r != nil {
		r.r = nil
		r.body.release()
	}
	return nil
}

var (
	errBodyClosed   = errors.New("digipost: read of a closed request body")
	errBodyReleased = errors.New("digipost: request body asked for after it was released")
)

// Sign adds Digipost's request authentication headers to req: Date,
// X-Digipost-UserId, X-Content-SHA256 (when body is not empty) and
// X-Digipost-Signature, the base64 SHA256withRSA signature of
//
//	METHOD\n lowercase(path)\n date: …\n [x-content-sha256: …\n] x-digipost-userid: …\n lowercase(query)\n
func Sign(req *http.Request, body []byte, senderID string, key crypto.Signer, at time.Time) error {
	if key == nil || senderID == "" {
		return errs.E(errs.Internal, codeConfig, "digipost: sender id and key are required")
	}
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return errs.E(errs.Internal, codeConfig, "digipost: the key must be RSA")
	}
	req.Header.Set("Date", at.UTC().Format(http.TimeFormat))
	req.Header.Set("X-Digipost-UserId", senderID)
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		req.Header.Set("X-Content-SHA256", base64.StdEncoding.EncodeToString(sum[:]))
	}
	digest := sha256.Sum256([]byte(Canonical(req)))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("digipost: sign request: %w", err)
	}
	req.Header.Set("X-Digipost-Signature", base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Canonical is the string a request signature covers.
func Canonical(req *http.Request) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(req.Method) + "\n")
	b.WriteString(strings.ToLower(req.URL.EscapedPath()) + "\n")
	b.WriteString("date: " + req.Header.Get("Date") + "\n")
	if h := req.Header.Get("X-Content-SHA256"); h != "" {
		b.WriteString("x-content-sha256: " + h + "\n")
	}
	b.WriteString("x-digipost-userid: " + req.Header.Get("X-Digipost-UserId") + "\n")
	b.WriteString(strings.ToLower(req.URL.RawQuery) + "\n")
	return b.String()
}

// Verify checks a request signed by Sign against pub; the stand-in uses it.
func Verify(req *http.Request, body []byte, pub *rsa.PublicKey) error {
	sum := sha256.Sum256(body)
	if len(body) > 0 && req.Header.Get("X-Content-SHA256") != base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("digipost: X-Content-SHA256 does not match the body")
	}
	if pub == nil {
		return nil
	}
	sig, err := base64.StdEncoding.DecodeString(req.Header.Get("X-Digipost-Signature"))
	if err != nil {
		return fmt.Errorf("digipost: signature: %w", err)
	}
	digest := sha256.Sum256([]byte(Canonical(req)))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("digipost: signature: %w", err)
	}
	return nil
}
