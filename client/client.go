// Package client is the Go SDK for segl's machine-to-machine API. It
// authenticates with the organisation's enterprise certificate (mutual TLS)
// and streams documents, so uploading a large job costs little memory.
//
//	c, err := client.New("https://segl.example", "org.pem", "org.key", "root-ca.pem")
//	job, err := c.CreateJob(ctx, req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: f}})
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one segl server.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// New makes a client presenting the certificate in certFile/keyFile and
// trusting the server certificate's root in caFile (empty: system roots).
func New(baseURL, certFile, keyFile, caFile string) (*Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client: certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("client: ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("client: ca: no certificates found")
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	tr.MaxIdleConnsPerHost = 64
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}, nil
}

// Upload is one document to send with a new job.
type Upload struct {
	Part        string // as JobRequest.Documents[].File names it
	FileName    string
	ContentType string // default application/pdf
	Body        io.Reader
}

// CreateOptions are optional settings of CreateJob.
type CreateOptions struct {
	IdempotencyKey string // retry safely: the same key returns the first job
}

// CreateJob creates a job, streaming the documents as multipart parts.
func (c *Client) CreateJob(ctx context.Context, req JobRequest, uploads []Upload, opts ...CreateOptions) (*Job, error) {
	meta, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	pr, pw := io.Pipe()
	gw := &gatherWriter{w: pw, buf: uploadBuffers.Get().(*[]byte)}
	mw := multipart.NewWriter(gw)
	go func() {
		err := writeParts(mw, gw, meta, uploads)
		if err == nil {
			err = gw.flush()
		}
		pw.CloseWithError(err)
		*gw.buf = (*gw.buf)[:0]
		uploadBuffers.Put(gw.buf)
	}()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/jobs", pr)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", mw.FormDataContentType())
	for _, o := range opts {
		if o.IdempotencyKey != "" {
			hreq.Header.Set("Idempotency-Key", o.IdempotencyKey)
		}
	}
	var job Job
	if err := c.do(hreq, http.StatusCreated, &job); err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	return &job, nil
}

// gatherWriter gathers a create request's body for the transport, which
// sends what one read of it gives as a DATA frame of its own over HTTP/2:
// every part's header, the JSON and the closing boundary were each a
// frame, a TLS record and a system call on both sides. Small writes wait
// for the next write; a large one goes out with them, in chunks of
// uploadChunk, and nothing of it waits. A document's bytes are flushed
// after each read of its source (flushedWriter), so a document from a
// slow source still streams as it arrives.
type gatherWriter struct {
	w   io.Writer
	buf *[]byte // from uploadBuffers
}

// smallWrite is the most that waits for the next write.
const smallWrite = 4 << 10

// uploadChunk is four records' worth of frame payload (16 KiB of TLS
// plaintext less the frame's 9-byte header, counted once per frame), so
// that a full chunk fills its four records and leaves no short one.
const uploadChunk = 4*16<<10 - 9

var uploadBuffers = sync.Pool{New: func() any { b := make([]byte, 0, uploadChunk); return &b }}

func (g *gatherWriter) Write(p []byte) (int, error) {
	buf := *g.buf
	if len(buf)+len(p) <= smallWrite {
		*g.buf = append(buf, p...)
		return len(p), nil
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), uploadChunk-len(*g.buf))
		*g.buf = append(*g.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(*g.buf) == uploadChunk || len(p) == 0 {
			if err := g.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush sends what waits.
func (g *gatherWriter) flush() error {
	if len(*g.buf) == 0 {
		return nil
	}
	_, err := g.w.Write(*g.buf)
	*g.buf = (*g.buf)[:0]
	return err
}

// flushedWriter writes to a document's part and then sends what the
// gatherer holds: a document's bytes never wait for its source's next read.
type flushedWriter struct {
	w io.Writer
	g *gatherWriter
}

func (f flushedWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.g.flush()
	}
	return n, err
}

func writeParts(mw *multipart.Writer, g *gatherWriter, meta []byte, uploads []Upload) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="job"`)
	h.Set("Content-Type", "application/json")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(meta); err != nil {
		return err
	}
	for _, u := range uploads {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, u.Part, u.FileName))
		ct := u.ContentType
		if ct == "" {
			ct = "application/pdf"
		}
		h.Set("Content-Type", ct)
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := io.Copy(flushedWriter{w, g}, u.Body); err != nil {
			return err
		}
	}
	return mw.Close()
}

// Job fetches one job.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var job Job
	return &job, c.get(ctx, "/api/v1/jobs/"+url.PathEscape(id), &job)
}

// Status returns the job a status query token stands for: the token a
// direct-flow signer brings back to the sender's exit URL as the
// status_query_token query parameter.
func (c *Client) Status(ctx context.Context, statusQueryToken string) (*Job, error) {
	var job Job
	return &job, c.get(ctx, "/api/v1/status?"+url.Values{"status_query_token": {statusQueryToken}}.Encode(), &job)
}

// ListOptions select a page of jobs.
type ListOptions struct {
	Status string
	Cursor string
	Limit  int
}

// ListJobs returns one page of the organisation's jobs.
func (c *Client) ListJobs(ctx context.Context, o ListOptions) (*JobList, error) {
	q := url.Values{}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	var list JobList
	return &list, c.get(ctx, "/api/v1/jobs?"+q.Encode(), &list)
}

// CancelJob cancels a job.
func (c *Client) CancelJob(ctx context.Context, id string) (*Job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/jobs/"+url.PathEscape(id)+"/cancel", nil)
	if err != nil {
		return nil, err
	}
	var job Job
	return &job, c.do(req, http.StatusOK, &job)
}

// DeleteJob deletes a finished job's documents, evidence and signers'
// personal data now rather than at its DeleteAfter; the job stays as a
// tombstone with DeletedAt set.
func (c *Client) DeleteJob(ctx context.Context, id string) (*Job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.BaseURL+"/api/v1/jobs/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	var job Job
	return &job, c.do(req, http.StatusOK, &job)
}

// Document downloads an input document; the caller closes the reader.
func (c *Client) Document(ctx context.Context, jobID, docID string) (io.ReadCloser, error) {
	return c.download(ctx, "/api/v1/jobs/"+url.PathEscape(jobID)+"/documents/"+url.PathEscape(docID))
}

func (c *Client) download(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, problem(resp)
	}
	return &download{r: bufio.NewReaderSize(resp.Body, downloadChunk), body: resp.Body}, nil
}

// downloadChunk is how much of a document is read from the connection at
// a time. Over HTTP/2 the client gives the server back flow-control window
// (a WINDOW_UPDATE frame: a write on the connection, and a frame for the
// server to read and process) for each read of 4 KiB or more, so a caller
// copying with io.Copy into io.Discard (8 KiB reads) or a file (32 KiB)
// cost a 300 KB document 39 or 11 such frames; read 64 KiB at a time it
// costs 5.
const downloadChunk = 64 << 10

// download is a document's body read in chunks of downloadChunk. It has
// Read and Close only: a bufio.Reader's WriteTo would hand the body to the
// destination's ReadFrom, which reads it in its own, smaller pieces.
type download struct {
	r    *bufio.Reader
	body io.Closer
}

func (d *download) Read(p []byte) (int, error) { return d.r.Read(p) }
func (d *download) Close() error               { return d.body.Close() }

// Events returns status changes not yet acknowledged, after seq.
func (c *Client) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var list EventList
	return list.Events, c.get(ctx, "/api/v1/events?"+q.Encode(), &list)
}

// Ack acknowledges events so they are not delivered again.
func (c *Client) Ack(ctx context.Context, seqs ...int64) (int, error) {
	body, _ := json.Marshal(Ack{Seqs: seqs})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/events/ack", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	var res AckResult
	return res.Acknowledged, c.do(req, http.StatusOK, &res)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return err
	}
	return c.do(req, http.StatusOK, out)
}

func (c *Client) do(req *http.Request, want int, out any) error {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return problem(resp)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// problem reads an error response as a *Problem.
func problem(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	p := &Problem{Status: resp.StatusCode}
	if err := json.Unmarshal(body, p); err != nil || p.Code == "" {
		return &Problem{Status: resp.StatusCode, Code: "http-" + strconv.Itoa(resp.StatusCode), Detail: strings.TrimSpace(string(body))}
	}
	return p
}

// SignedDocument downloads the newest signed revision of a document; the
// caller closes the reader.
func (c *Client) SignedDocument(ctx context.Context, jobID, docID string) (io.ReadCloser, error) {
	return c.download(ctx, "/api/v1/jobs/"+url.PathEscape(jobID)+"/documents/"+url.PathEscape(docID)+"/signed")
}

// Evidence downloads a signer's XAdES evidence; the caller closes the reader.
func (c *Client) Evidence(ctx context.Context, jobID, signerID string) (io.ReadCloser, error) {
	return c.download(ctx, "/api/v1/jobs/"+url.PathEscape(jobID)+"/signers/"+url.PathEscape(signerID)+"/evidence")
}

// CallbackSecret returns the key the organisation's callbacks are signed
// with (HMAC-SHA256 over "<t>.<body>", header Segl-Signature).
func (c *Client) CallbackSecret(ctx context.Context) (string, error) {
	var out struct {
		Secret string `json:"secret"`
	}
	err := c.get(ctx, "/api/v1/callback-secret", &out)
	return out.Secret, err
}
