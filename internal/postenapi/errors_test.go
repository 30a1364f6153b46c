package postenapi

import (
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
)

// TestWriteErrorFullDisk: a write that ran out of space, however deep and
// untyped, is 507 STORAGE_FULL with a message the sender can act on, not
// a 500 INTERNAL_ERROR.
func TestWriteErrorFullDisk(t *testing.T) {
	a := &API{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	err := fmt.Errorf("ceremony: %w", &fs.PathError{Op: "write", Path: "/data/tmp/segl-spool-1.pdf", Err: syscall.ENOSPC})
	a.writeError(rec, httptest.NewRequest("POST", "/api/317510748/direct/signature-jobs", nil), err)
	var out errorResponse
	if err := xml.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if rec.Code != http.StatusInsufficientStorage || out.Code != "STORAGE_FULL" || out.Type != "SERVER" || out.Message == "internal error" {
		t.Fatalf("got %d %+v", rec.Code, out)
	}
}
