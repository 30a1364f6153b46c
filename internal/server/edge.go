package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/web"
)

// edge is what every request on the listener passes through before the
// mux: the headers every response carries, whatever answers it (API, web,
// /healthz, the development stand-ins), and the limits on how slowly a
// client may send its body and read its response. net/http has only
// whole-request timeouts (ReadTimeout, WriteTimeout), which would cut a
// large upload or download on a slow but honest line; these are deadlines
// that move as bytes arrive and leave (issue 9, items 2 and 8).
type edge struct {
	next   http.Handler
	limits config.HTTPLimits
	// maxDrain is the largest request body segl accepts anywhere: over
	// HTTP/2, what is left of a body up to this size is read and discarded
	// after the handler, so the stream ends cleanly (see drain).
	maxDrain int64
}

// errSlowBody is what reading a request body returns once the client has
// fallen below the minimum rate; it wraps os.ErrDeadlineExceeded, which is
// what the connection's own deadline gives.
var errSlowBody = fmt.Errorf("server: request body too slow: %w", os.ErrDeadlineExceeded)

func (e *edge) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	hd := rw.Header()
	hd.Set("Strict-Transport-Security", web.StrictTransportSecurity)
	hd.Set("X-Content-Type-Options", "nosniff")
	rc := http.NewResponseController(rw)
	gw := &guardedWriter{ResponseWriter: rw, rc: rc, idle: e.limits.WriteIdleTimeout, piece: writePiece}
	if r.ProtoMajor == 2 {
		gw.piece = recordPiece
	}
	gw.arm(time.Now())
	// What net/http writes after us (the buffered rest of the response)
	// gets a fresh deadline too, however long the handler worked.
	defer func() { gw.arm(time.Now()) }()
	if r.Body == nil || r.Body == http.NoBody {
		e.next.ServeHTTP(gw, r)
		return
	}
	body := &guardedBody{body: r.Body, rc: rc, limits: e.limits, start: time.Now()}
	body.arm(body.start)
	r.Body = body
	if r.ProtoMajor == 1 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		gw.continued = body
		defer gw.closeIfUnread() // a handler that wrote nothing is answered after this
	}
	e.next.ServeHTTP(gw, r)
	if r.ProtoMajor == 2 && r.ContentLength <= e.maxDrain {
		body.drain(e.maxDrain)
	}
	// Whatever net/http still reads of the body after us (HTTP/1.1 reads
	// up to 256 KiB to keep the connection) is bounded too.
	body.arm(time.Now())
}

// guardedBody is a request body that must keep arriving: a Read is given a
// deadline of the earliest of
//   - BodyIdleTimeout after now (a stalled client),
//   - BodyIdleTimeout plus the bytes so far at BodyMinRate after the start
//     (a trickling client: Apache's mod_reqtimeout MinRate rule), and
//   - BodyMaxDuration after the start.
//
// The deadline is set on the connection (HTTP/1.1) or the stream (HTTP/2)
// through http.ResponseController, so a Read blocked on a silent client
// returns when it passes. It is re-armed only when it has to move, with
// slack of an eighth of BodyIdleTimeout, so a fast upload does not pay a
// deadline change per Read; a client is thus cut at most that much later
// than the rule says, never earlier.
type guardedBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	limits config.HTTPLimits
	start  time.Time
	n      int64     // bytes read so far
	armed  time.Time // the deadline last set
	eof    bool
	err    error // sticky: once cut, always cut
}

// deadline is when the next Read must have returned by.
func (b *guardedBody) deadline(now time.Time) time.Time {
	l := b.limits
	d := now.Add(l.BodyIdleTimeout)
	if l.BodyMinRate > 0 {
		earned := time.Duration(float64(b.n) / float64(l.BodyMinRate) * float64(time.Second))
		d = minTime(d, b.start.Add(l.BodyIdleTimeout+earned))
	}
	if l.BodyMaxDuration > 0 {
		d = minTime(d, b.start.Add(l.BodyMaxDuration))
	}
	return d
}

// arm sets the read deadline if the one set is earlier than the rule.
// Both terms of the rule only grow, so the deadline only moves later.
func (b *guardedBody) arm(now time.Time) {
	if b.eof || b.limits.BodyIdleTimeout <= 0 {
		return
	}
	if d := b.deadline(now); b.armed.Before(d) {
		b.armed = d.Add(b.limits.BodyIdleTimeout / 8)
		b.rc.SetReadDeadline(b.armed) // unsupported (a test recorder): the rule is still checked per Read
	}
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	now := time.Now()
	if b.limits.BodyIdleTimeout > 0 && !b.deadline(now).After(now) {
		b.err = errSlowBody
		return 0, b.err
	}
	b.arm(now)
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		// No deadline once the body is in: net/http's HTTP/1.1 server
		// then reads on in the background to notice a client that hangs
		// up, and a deadline passing there would cancel the request's
		// context while the handler is still at work.
		b.eof = true
		b.rc.SetReadDeadline(time.Time{})
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.err = errSlowBody
		err = b.err
	case err != nil:
		b.err = err
	}
	return n, err
}

func (b *guardedBody) Close() error { return b.body.Close() }

// drain reads and discards what is left of the body, up to a total of
// max bytes, still under the rate rule. It is for HTTP/2: when a handler
// answers before reading the whole body (a 413, a refused login), Go's
// server sends the complete response and then RST_STREAM(NO_ERROR), as
// RFC 9113 section 8.1 allows; clients "MUST NOT discard responses as a
// result", yet libcurl with nghttp2 does when the reset arrives while it
// is still uploading ("transfer closed with 195 bytes remaining"). With
// the body read to its end the stream closes normally, without a reset,
// and every client sees the answer. HTTP/1.1 needs none of this: there the
// server answers with Connection: close.
func (b *guardedBody) drain(max int64) {
	if b.eof || b.err != nil || max <= 0 {
		return
	}
	left := max - b.n
	if left <= 0 {
		return
	}
	io.CopyN(io.Discard, b, left)
}

// guardedWriter gives every write a deadline of WriteIdleTimeout from when
// it starts, so a client that stops reading (its TCP window stays shut) is
// cut, while a large download to a slow client that keeps reading is not:
// there is no limit on the whole response. Writes are cut into pieces of
// 64 KiB so that one large Write is not held to one deadline.
type guardedWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	idle  time.Duration
	armed time.Time
	piece int // what ReadFrom writes at a time: writePiece, or recordPiece over HTTP/2
	// continued is the body of an HTTP/1.1 request that expects 100
	// (Continue), until the response's header is written (closeIfUnread).
	continued *guardedBody
}

// closeIfUnread answers with Connection: close when the request expected
// 100 (Continue) and its body was not read to its end by the time the
// header goes out. net/http does so itself for its own body reader, and
// then neither asks for the body nor reads it; edge's guardedBody takes
// that reader's place, and net/http would read on for the body instead,
// which the client holds back until its expect timeout (curl 1 s, Java's
// HttpClient 3 s) or for good: a refused upload (401, 413) answered that
// much later.
func (w *guardedWriter) closeIfUnread() {
	if w.continued != nil && !w.continued.eof {
		w.Header().Set("Connection", "close")
	}
	w.continued = nil
}

func (w *guardedWriter) WriteHeader(code int) {
	if code >= 200 {
		w.closeIfUnread()
	}
	w.ResponseWriter.WriteHeader(code)
}

const writePiece = 64 << 10

// recordPiece is the most of a body that fits one HTTP/2 DATA frame with
// its 9-byte header in one TLS record (16 KiB of plaintext, RFC 8446
// section 5.1). crypto/tls sends every record with a system call of its
// own, and the 16 KiB frames that clients allow by default went out as a
// full record and a 9-byte one: two writes for each 16 KiB of a download,
// and two reads and decryptions on the client's side.
const recordPiece = 16<<10 - 9

// pieceBuffers hold what ReadFrom reads until it is written: *[]byte of
// writePiece bytes.
var pieceBuffers = sync.Pool{New: func() any { b := make([]byte, writePiece); return &b }}

// ReadFrom copies src into the response (http.ServeContent's downloads
// come this way, through io.Copy) in whole pieces, each written with a
// deadline of its own as Write does.
func (w *guardedWriter) ReadFrom(src io.Reader) (int64, error) {
	w.closeIfUnread()
	bp := pieceBuffers.Get().(*[]byte)
	defer pieceBuffers.Put(bp)
	buf := (*bp)[:w.piece]
	var written int64
	for {
		// A short final piece ends the body. src is asked again after
		// an error that came with a full piece: the readers of a body
		// (files, blob objects) repeat it.
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			w.arm(time.Now())
			m, err := w.ResponseWriter.Write(buf[:n])
			written += int64(m)
			if err != nil {
				return written, err
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return written, nil
		default:
			return written, rerr
		}
	}
}

// arm sets the write deadline if the one set is earlier than
// WriteIdleTimeout from now, with an eighth of it as slack.
func (w *guardedWriter) arm(now time.Time) {
	if w.idle <= 0 {
		return
	}
	if d := now.Add(w.idle); w.armed.Before(d) {
		w.armed = d.Add(w.idle / 8)
		w.rc.SetWriteDeadline(w.armed)
	}
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	w.closeIfUnread()
	written := 0
	for len(p) > 0 {
		piece := p[:min(len(p), writePiece)]
		w.arm(time.Now())
		n, err := w.ResponseWriter.Write(piece)
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// FlushError sends the header, if not yet sent, and what is buffered: a
// handler that flushes through http.ResponseController before writing
// sends its header here, which must say Connection: close as WriteHeader
// would (closeIfUnread).
func (w *guardedWriter) FlushError() error {
	w.closeIfUnread()
	w.arm(time.Now())
	return w.rc.Flush()
}

// Flush is FlushError for handlers that assert http.Flusher.
func (w *guardedWriter) Flush() { w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *guardedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// aeadSuites are the TLS 1.2 cipher suites segl offers: ECDHE key exchange
// with an AEAD cipher only, as BSI TR-02102-2 and Mozilla's "intermediate"
// profile ask. The CBC suites (ECDHE-*-AES*-SHA) are left out: their
// MAC-then-encrypt construction is what Lucky Thirteen and its successors
// attack. TLS 1.3 suites are not configurable and all AEAD.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}
