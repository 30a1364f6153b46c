package job

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func validRequest() Request {
	exp := now.Add(30 * 24 * time.Hour)
	return Request{
		Title: "Arbeidsavtale", Flow: Direct, SignatureType: Authenticated, LevelOfAssurance: Substantial,
		Documents: []DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []SignerRequest{{PID: "21909825250", Order: 1}},
		ExitURLs:  ExitURLs{Completion: "https://sender.example/ok", Rejection: "https://sender.example/no", Error: "https://sender.example/err"},
		ExpiresAt: &exp,
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(r *Request)
		wantCode string // empty: valid
	}{
		{"ok/direct", func(r *Request) {}, ""},
		{"ok/portal-email-and-mobile", func(r *Request) {
			r.Flow, r.ExitURLs = Portal, ExitURLs{}
			r.Signers = []SignerRequest{{Email: "kari@example.test", Mobile: "+4791234567"}}
		}, ""},
		{"ok/20-documents-10-signers", func(r *Request) {
			r.Documents = nil
			for i := range 20 {
				r.Documents = append(r.Documents, DocumentRequest{Title: "d", File: "f" + itoa3(i)})
			}
			r.Signers = nil
			for i := range 10 {
				r.Signers = append(r.Signers, SignerRequest{Email: "s" + itoa3(i) + "@example.test"})
			}
		}, ""},
		{"ok/direct-signer-by-senders-reference", func(r *Request) { r.Signers[0] = SignerRequest{Ref: "kunde 1337"} }, ""},
		{"fail/portal-signer-by-senders-reference", func(r *Request) {
			r.Flow, r.ExitURLs = Portal, ExitURLs{}
			r.Signers = []SignerRequest{{Ref: "kunde 1337"}}
		}, "missing-signer-address"},
		{"fail/no-title", func(r *Request) { r.Title = "" }, "missing-field"},
		{"fail/long-title", func(r *Request) { r.Title = strings.Repeat("x", 201) }, "too-long"},
		{"fail/control-chars", func(r *Request) { r.Title = "a\x00b" }, "invalid-text"},
		{"fail/flow", func(r *Request) { r.Flow = "later" }, "invalid-flow"},
		{"fail/signature-type", func(r *Request) { r.SignatureType = "qualified" }, "invalid-signature-type"},
		{"fail/loa", func(r *Request) { r.LevelOfAssurance = "low" }, "invalid-level-of-assurance"},
		{"fail/pid-checksum", func(r *Request) { r.Signers[0].PID = "21909825251" }, "invalid-pid"},
		{"fail/email", func(r *Request) { r.Signers[0] = SignerRequest{Email: "not-an-address"} }, "invalid-email"},
		{"fail/mobile", func(r *Request) { r.Signers[0] = SignerRequest{Mobile: "91234567"} }, "invalid-mobile"},
		{"fail/no-address", func(r *Request) { r.Signers[0] = SignerRequest{Order: 1} }, "missing-signer-address"},
		{"fail/duplicate-signer", func(r *Request) { r.Signers = append(r.Signers, r.Signers[0]) }, "duplicate-signer"},
		{"fail/duplicate-email-in-other-case", func(r *Request) {
			r.Signers = []SignerRequest{{Email: "a@example.test"}, {Email: "A@Example.TEST"}}
		}, "duplicate-signer"},
		{"fail/on-behalf-of", func(r *Request) { r.Signers[0].OnBehalfOf = "123456789" }, "invalid-orgnr"},
		{"fail/no-signers", func(r *Request) { r.Signers = nil }, "missing-field"},
		{"fail/11-signers", func(r *Request) {
			for i := range 10 {
				r.Signers = append(r.Signers, SignerRequest{Email: "s" + itoa3(i) + "@example.test"})
			}
		}, "too-many-signers"},
		{"fail/21-documents", func(r *Request) {
			for i := range 20 {
				r.Documents = append(r.Documents, DocumentRequest{Title: "d", File: "f" + itoa3(i)})
			}
		}, "too-many-documents"},
		{"fail/no-documents", func(r *Request) { r.Documents = nil }, "missing-field"},
		{"fail/duplicate-document-part", func(r *Request) { r.Documents = append(r.Documents, r.Documents[0]) }, "duplicate-document"},
		{"fail/expiry-past", func(r *Request) { p := now.Add(-time.Hour); r.ExpiresAt = &p }, "invalid-expiry"},
		{"fail/expiry-91-days", func(r *Request) { p := now.Add(91 * 24 * time.Hour); r.ExpiresAt = &p }, "invalid-expiry"},
		{"fail/activation-after-expiry", func(r *Request) { p := r.ExpiresAt.Add(time.Hour); r.ActivatesAt = &p }, "invalid-activation"},
		{"fail/exit-url-http", func(r *Request) { r.ExitURLs.Completion = "http://sender.example/ok" }, "invalid-url"},
		{"fail/exit-url-missing", func(r *Request) { r.ExitURLs.Error = "" }, "missing-field"},
		{"fail/exit-urls-on-portal", func(r *Request) { r.Flow = Portal }, "invalid-exit-urls"},
		{"fail/callback-url", func(r *Request) { r.CallbackURL = "ftp://x" }, "invalid-url"},
		{"fail/retention", func(r *Request) { r.Retention = Retention{Archive: true, Years: 80} }, "invalid-retention"},
		{"fail/language-sami-not-yet", func(r *Request) { r.Language = "se" }, "invalid-language"},
		{"fail/language-upper-case", func(r *Request) { r.Language = "NN" }, "invalid-language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.mutate(&r)
			err := r.Validate(now, DefaultLimits)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *errs.Error
			if err == nil || !asErr(err, &e) || e.Kind != errs.Invalid {
				t.Fatalf("got %v, want invalid %s", err, tt.wantCode)
			}
			codes := []string{e.Code}
			for _, d := range e.Details {
				codes = append(codes, d.Code)
			}
			if !contains(codes, tt.wantCode) {
				t.Fatalf("codes %v, want %s", codes, tt.wantCode)
			}
		})
	}
}

func asErr(err error, target **errs.Error) bool {
	return errors.As(err, target)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestNewDefaultsAndActivation(t *testing.T) {
	r := validRequest()
	r.ExpiresAt = nil
	n := 0
	ids := func() string { n++; return "id" + itoa3(n) }
	j, events := New(&r, "317510748", "cert:1", []Document{{ID: "d", SHA256: "ab"}}, ids, now, DefaultLimits)
	if j.Status != StatusActive || j.Assurance != Substantial || j.Identifier != ShowBirthDateAndName {
		t.Fatalf("defaults: %+v", j)
	}
	if !j.ExpiresAt.Equal(now.Add(DefaultLimits.DefaultExpiry)) {
		t.Fatalf("expiry %s", j.ExpiresAt)
	}
	if len(events) != 2 || events[0].Type != "job.created" || events[1].Type != "job.active" {
		t.Fatalf("events %+v", events)
	}

	later := now.Add(24 * time.Hour)
	r.ActivatesAt = &later
	j, events = New(&r, "317510748", "cert:1", nil, ids, now, DefaultLimits)
	if j.Status != StatusCreated || len(events) != 1 {
		t.Fatalf("scheduled job: %s, %d events", j.Status, len(events))
	}
	if _, err := j.Activate(now); err == nil {
		t.Fatal("activated before its time")
	}
	if _, err := j.Activate(later); err != nil || j.Status != StatusActive {
		t.Fatalf("activate: %v", err)
	}
}

// FuzzRequestJSON decodes arbitrary JSON as a request and validates it: it
// must never panic, and anything it accepts must respect the limits.
func FuzzRequestJSON(f *testing.F) {
	b, _ := json.Marshal(validRequest())
	f.Add(b)
	f.Add([]byte(`{"title":"x","signers":[{"pid":"1"}],"documents":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if r.Validate(now, DefaultLimits) == nil {
			if len(r.Signers) == 0 || len(r.Signers) > 10 || len(r.Documents) == 0 || len(r.Documents) > 20 {
				t.Fatalf("accepted out-of-limits request: %s", data)
			}
			for _, s := range r.Signers {
				if s.PID != "" && !ValidPID(s.PID) {
					t.Fatalf("accepted bad pid %q", s.PID)
				}
			}
		}
	})
}

// TestProblemsBounded: a request with more problems than errs.MaxDetails
// lists the first ones and says how many more there are; lists over the
// limits are refused as a whole, without a problem per entry.
func TestProblemsBounded(t *testing.T) {
	r := validRequest()
	r.Documents = nil
	for range DefaultLimits.MaxDocuments {
		r.Documents = append(r.Documents, DocumentRequest{Title: "\x00", FileName: "\x01"}) // 3 problems each
	}
	r.Signers = nil
	for range DefaultLimits.MaxSigners {
		r.Signers = append(r.Signers, SignerRequest{PID: "1", Email: "x", Mobile: "y", OnBehalfOf: "z", Order: -1}) // 5 each, 6 from the second on (duplicate)
	}
	var e *errs.Error
	if err := r.Validate(now, DefaultLimits); !errors.As(err, &e) {
		t.Fatalf("valid: %v", err)
	}
	last := e.Details[len(e.Details)-1]
	if len(e.Details) != errs.MaxDetails+1 || last.Code != "more-problems" || !strings.Contains(last.Message, "69 more") {
		t.Fatalf("%d problems, the last %+v", len(e.Details), last)
	}

	r = validRequest()
	for range 100_000 {
		r.Signers = append(r.Signers, SignerRequest{})
	}
	err := r.Validate(now, DefaultLimits)
	if !errors.As(err, &e) || e.Code != "too-many-signers" || len(e.Details) != 0 {
		t.Fatalf("100,001 signers: %v", err)
	}
}

// A job's language is the request's; none is bokmål (issue 14: the
// signature page in Nynorsk).
func TestRequestLanguage(t *testing.T) {
	ids := func() string { return "id" }
	for _, tc := range []struct{ lang, want string }{{"", "nb"}, {"nb", "nb"}, {"nn", "nn"}, {"en", "en"}} {
		r := validRequest()
		r.Language = tc.lang
		if err := r.Validate(now, DefaultLimits); err != nil {
			t.Fatalf("language %q: %v", tc.lang, err)
		}
		j, _ := New(&r, "317510748", "cert:1", []Document{{ID: "d", SHA256: "ab"}}, ids, now, DefaultLimits)
		if j.Language() != tc.want {
			t.Errorf("language %q: the job's is %q, want %q", tc.lang, j.Language(), tc.want)
		}
	}
}
