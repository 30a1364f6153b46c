package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testdocs"
)

// FuzzCreateJob feeds arbitrary multipart bodies to the create handler
// (behind authentication, which fuzzing cannot reach). Whatever comes in, the
// answer is a created job or a problem with a 4xx status: never a 500, a
// panic or a hang.
func FuzzCreateJob(f *testing.F) {
	dir := f.TempDir()
	db, err := sqlite.Open(dir+"/segl.db", sqlite.Options{RelaxedSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	blobs, _ := fs.Open(dir+"/blobs", fs.Options{NoSync: true})
	db.PutOrg(context.Background(), store.By{Actor: "test"}, store.Org{Number: "317510748", Name: "A", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}})
	lim := job.DefaultLimits
	lim.MaxDocumentBytes = 64 << 10
	api := &API{Svc: &ceremony.Service{Store: db, Blobs: blobs, Clock: clock.NewFake(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		Limits: lim, LinkKey: []byte("k")}, BaseURL: "https://segl.test", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	caller := ceremony.Caller{Org: "317510748", Actor: "cert:1"}

	valid := `{"title":"T","flow":"portal","signature_type":"authenticated","documents":[{"title":"K","file":"doc1"}],"signers":[{"pid":"21909825250"}]}`
	pdf := string(testdocs.PDF("x", 0))
	body := func(job, doc string) string {
		return "--B\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n" + job +
			"\r\n--B\r\nContent-Disposition: form-data; name=\"doc1\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" +
			doc + "\r\n--B--\r\n"
	}
	f.Add(body(valid, pdf))
	f.Add(body(valid, "plain"))
	f.Add(body(`{"title":1}`, pdf))
	f.Add("--B\r\n\r\n--B--")
	f.Fuzz(func(t *testing.T, b string) {
		r := httptest.NewRequest("POST", "/api/v1/jobs", strings.NewReader(b))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		w := httptest.NewRecorder()
		if err := api.createJob(w, r, caller); err != nil {
			writeProblem(w, r, api.Log, err)
		}
		switch {
		case w.Code == http.StatusCreated:
		case w.Code >= 400 && w.Code < 500:
			var p client.Problem
			if json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Code == "" {
				t.Fatalf("%d without a problem body: %q", w.Code, w.Body.String())
			}
		default:
			t.Fatalf("status %d for body %q: %s", w.Code, b, w.Body.String())
		}
	})
}
