package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pgtest"
)

// marteSigner is the signer followed through segl: a person of the
// synthetic population with KRR e-mail and mobile and a Digipost mailbox.
const marteSigner = "11917902323" // Marte Larsen, Buypass

// What names Marte and Sara (saraStaff, a sender of orgA): any of it left
// anywhere after their data must be gone is a leak.
var (
	marteTraces = []string{marteSigner, "Marte Larsen", "marte.larsen@example.test", "92018490"}
	saraTraces  = []string{saraStaff, "Sara Dahl", "sara.dahl@lanekassen.example"}
)

// syncBuffer is a server's log output, written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// traces reports where in b (called name) each of words occurs, except
// the staff member's identity number in the audit record of their grant
// or removal ({"user":"<number>"}): the audit trail of who had access is
// kept (docs/operations.md, "Personal data and retention").
func traces(name string, b []byte, words []string) []string {
	var found []string
	for _, w := range words {
		for off := 0; ; {
			i := bytes.Index(b[off:], []byte(w))
			if i < 0 {
				break
			}
			i += off
			off = i + len(w)
			if w == saraStaff && bytes.HasSuffix(b[:i], []byte(`"user":"`)) {
				continue
			}
			lo, hi := max(0, i-60), min(len(b), i+len(w)+60)
			found = append(found, name+": "+w+" in "+strings.ToValidUTF8(string(b[lo:hi]), "?"))
		}
	}
	return found
}

// dirTraces is traces over every file under dir.
func dirTraces(t *testing.T, dir string, words []string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		found = append(found, traces(rel, b, words)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// followMarteAndSara takes a signer and a staff member through segl until
// their data must be gone: Sara is made a sender of orgA; a job of the API
// reaches Marte by e-mail and SMS at her KRR data, with callbacks, and she
// signs it, downloads her receipt and gets the signed document in her
// mailbox; Sara sends Marte a job in the portal, which Marte signs there;
// Marte rejects a third, writing her name and number in the reason; a fourth, direct, goes to the e-mail address
// and mobile number the sender gave, and Marte signs it after a one-time
// code by SMS. The sender deletes the first over the API, Sara the second
// in the portal; the administrator removes Sara; the organisation is
// offboarded (deactivated), and the others reach the end of their
// retention. Then the blob sweep has run past every grace.
func followMarteAndSara(t *testing.T, e *env, clk *movableClock) {
	t.Helper()
	ctx := context.Background()
	org, err := e.srv.Store.Org(ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	c := e.client(orgA)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer receiver.Close()

	ola := e.browser(t)
	ola.submit(ola.link(ola.portalLogin(olaPID), "Brukere"), "/portal/users", url.Values{"pid": {saraStaff},
		"name": {"Sara Dahl"}, "email": {"sara.dahl@lanekassen.example"}, "role": {"sender"}}).has(t, "Tilgangen er gitt.")

	req := directRequest()
	req.Flow, req.ExitURLs, req.Title, req.CallbackURL = "portal", nil, "Låneavtale", receiver.URL+"/segl"
	req.Signers = []client.SignerRequest{{PID: marteSigner}}
	apiJob := e.createWithText(c, req)
	eventually(t, "the notice to Marte", func() bool { return len(e.mailTo("marte.larsen@example.test")) == 1 })
	eventually(t, "the SMS to Marte", func() bool { return len(e.srv.DevDelivery.SMS.Messages()) == 1 })
	link := regexp.MustCompile(`https://\S+/sign/login\?task=\S+`).FindString(e.mailTo("marte.larsen@example.test")[0].Text)
	marte := e.browser(t)
	view := marte.idp(marte.get(link), marteSigner, "buypass")
	view.want(t, http.StatusOK, "Låneavtale")
	receipt := marte.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	receipt.want(t, http.StatusOK, "Du har signert")
	if kept := marte.link(receipt, "Last ned kvittering (PDF)"); kept.status != http.StatusOK {
		t.Fatalf("receipt: %d", kept.status)
	}
	if got := e.completed(c, apiJob.ID); got.Status != "completed" {
		t.Fatalf("the API job: %s", got.Status)
	}
	eventually(t, "Marte's mailbox", func() bool { return len(e.srv.DevDelivery.Mailboxes.Inbox(marteSigner)) == 1 })

	sara := e.browser(t)
	sara.portalLogin(saraStaff).want(t, http.StatusOK, "Signeringsoppdrag")
	sent := sara.sendJob(sara.get("/portal/jobs/new"), jobFields("Saras avtale", marteSigner), pdfFile("saras.pdf"))
	sent.want(t, http.StatusOK, "Saras avtale")
	task := marte.link(marte.get("/sign/"), "Saras avtale")
	marte.submit(task, "/sign", url.Values{"confirm": {"yes"}}).want(t, http.StatusOK, "Du har signert")
	e.settled()

	req.Title = "Leieavtale"
	third := e.createWithText(c, req)
	eventually(t, "the notice of the third", func() bool { return len(e.mailTo("marte.larsen@example.test")) == 2 })
	marte.rejectJob(marte.link(marte.get("/sign/"), "Leieavtale"), "Feil person? Marte Larsen, ring 92018490").
		want(t, http.StatusOK, "Du har avvist oppdraget")
	eventually(t, "the sender's notices", func() bool { return len(e.mailTo("sara.dahl@lanekassen.example")) == 1 })

	// A direct job to the address and number the sender gave, signed after
	// a one-time code by SMS.
	direct := directRequest()
	direct.Signers = []client.SignerRequest{{Email: "marte.larsen@example.test", Mobile: "+4792018490"}}
	fourth := e.mustCreate(c, direct)
	guest := e.browser(t)
	sentCode := guest.submit(guest.get(fourth.Signers[0].SigningURL), "/code/send", nil)
	codeRE := regexp.MustCompile(`Engangskoden din .* (\d{6})\b`)
	var code string
	eventually(t, "the code by SMS", func() bool {
		for _, m := range e.srv.DevDelivery.SMS.Messages() {
			if c := codeRE.FindStringSubmatch(m.Text); c != nil {
				code = c[1]
			}
		}
		return code != ""
	})
	entered := guest.submit(sentCode, "/code", url.Values{"code": {code}})
	view = guest.idp(guest.submit(entered, "/login", nil), marteSigner, "buypass")
	view.want(t, http.StatusOK, "Arbeidsavtale")
	guest.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	if got := e.completed(c, fourth.ID); got.Status != "completed" {
		t.Fatalf("the direct job: %s", got.Status)
	}

	if _, err := c.DeleteJob(ctx, apiJob.ID); err != nil {
		t.Fatal(err)
	}
	sara.submit(sara.get(sent.url.Path), "/delete", nil).want(t, http.StatusOK, "Slettet oppdrag")
	ola.submit(ola.get("/portal/users"), "/portal/users/remove", url.Values{"pid": {saraStaff}}).has(t, "Tilgangen er fjernet.")

	org.Active = false
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	clk.moveTo(time.Now().Add(41 * 24 * time.Hour))
	if n, err := e.srv.Svc.RunDeletions(ctx, 100); err != nil || n != 2 {
		t.Fatalf("deletions queued at the end of the retention: %d, %v", n, err)
	}
	for _, id := range []string{third.ID, fourth.ID} {
		eventually(t, "the jobs deleted at the end of their retention", func() bool {
			j, err := e.srv.Store.Job(ctx, orgA, id)
			return err == nil && j.Deleted()
		})
	}
	clk.moveTo(time.Now().Add(42 * 24 * time.Hour))
	if _, err := e.srv.Svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{apiJob.ID, strings.TrimPrefix(sent.url.Path, "/portal/jobs/"), third.ID, fourth.ID} {
		if left, err := e.srv.Store.DeletedBlobs(ctx, orgA, id); err != nil || len(left) != 0 {
			t.Fatalf("blobs of %s left to delete: %v, %v", id, left, err)
		}
	}
}

// loggedEnv is segl in --dev on a clock the test moves, its log (debug
// records too) kept in logs.
func loggedEnv(t *testing.T, mutate ...func(*config.Config)) (*env, *movableClock, *syncBuffer) {
	t.Helper()
	clk, logs := &movableClock{}, &syncBuffer{}
	e := newEnvClock(t, clk, append(mutate, func(c *config.Config) { c.SweepEvery = time.Hour })...)
	e.stop()
	e.log = logs
	e.start()
	return e, clk, logs
}

// TestPersonalDataGone follows one signer and one staff member through
// every path of a single node (SQLite, files) until their data must be
// gone, and then finds none of it in any byte of the data directory (the
// database and its log, the queue, blobs, temporary files, keys) nor in
// the log, but the audit records of the staff member's grant and removal.
func TestPersonalDataGone(t *testing.T) {
	t.Parallel()
	e, clk, logs := loggedEnv(t)
	followMarteAndSara(t, e, clk)
	words := slices.Concat(marteTraces, saraTraces)
	for _, f := range dirTraces(t, e.data, words) {
		t.Errorf("left in the data directory: %s", f)
	}
	for _, f := range traces("log", logs.Bytes(), words) {
		t.Errorf("left in the log: %s", f)
	}
}

// TestPersonalDataGoneOnPostgreSQLAndS3 is TestPersonalDataGone on a node
// with its store and queue in PostgreSQL and its documents in S3: nothing
// of either person in a pg_dump of the database, in any object of the
// bucket, in an unfinished multipart upload, in the data directory or in
// the log.
func TestPersonalDataGoneOnPostgreSQLAndS3(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	o := s3test.Shared(t).Bucket(t)
	keys := t.TempDir()
	os.WriteFile(filepath.Join(keys, "access"), []byte(o.AccessKey+"\n"), 0o600)
	os.WriteFile(filepath.Join(keys, "secret"), []byte(o.SecretKey+"\n"), 0o600)
	e, clk, logs := loggedEnv(t, func(c *config.Config) {
		c.DatabaseURL = dbURL
		c.S3Endpoint, c.S3Bucket = o.Endpoint, o.Bucket
		c.S3AccessKeyFile, c.S3SecretKeyFile = filepath.Join(keys, "access"), filepath.Join(keys, "secret")
	})
	followMarteAndSara(t, e, clk)
	words := slices.Concat(marteTraces, saraTraces)

	dump, err := exec.Command("pg_dump", "--no-owner", dbURL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(dump, []byte("COPY public.jobs")) {
		t.Fatalf("pg_dump holds no jobs table:\n%.2000s", dump)
	}
	// bytea columns (the audit records' details) are dumped in hex.
	for _, m := range regexp.MustCompile(`\\x([0-9a-f]+)`).FindAllSubmatch(dump, -1) {
		if b, err := hex.DecodeString(string(m[1])); err == nil {
			dump = append(append(dump, '\n'), b...)
		}
	}
	found := traces("pg_dump", dump, words)

	u, err := url.Parse(o.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""), Secure: u.Scheme == "https"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects := 0
	for obj := range mc.ListObjects(ctx, o.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		objects++
		r, err := mc.GetObject(ctx, o.Bucket, obj.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, traces("s3:"+obj.Key, b, words)...)
	}
	for up := range mc.ListIncompleteUploads(ctx, o.Bucket, "", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		found = append(found, "s3: an unfinished multipart upload of "+up.Key)
	}
	found = append(found, dirTraces(t, e.data, words)...)
	found = append(found, traces("log", logs.Bytes(), words)...)
	for _, f := range found {
		t.Errorf("left: %s", f)
	}
	t.Logf("%d objects left in the bucket, %d bytes of pg_dump", objects, len(dump))
}
