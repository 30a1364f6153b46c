package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/errs"
)

// writeProblem renders err as application/problem+json (RFC 9457). Errors
// without a kind are bugs: logged in full, shown as a bare 500.
func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := errs.From(err)
	if e == nil || e.Kind == errs.Internal {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = errs.E(errs.Internal, codeInternal, "something went wrong on our side; it has been logged")
	}
	status := e.Kind.HTTPStatus()
	switch e.Code {
	case errs.CodeJobDeleted:
		status = http.StatusGone // RFC 9110 section 15.5.11: gone for good
	case codeMethodNotAllowed:
		status = http.StatusMethodNotAllowed // with Allow (NoRoute)
	}
	p := client.Problem{Type: client.ProblemTypePrefix + e.Code, Title: http.StatusText(status), Status: status,
		Detail: e.Error(), Code: e.Code, Field: e.Field, Document: e.Document}
	if e.Err != nil {
		p.Detail = e.Message // the cause is for logs only
		if e.Field != "" {
			p.Detail = e.Field + ": " + e.Message
		}
	}
	for _, d := range e.Details {
		p.Errors = append(p.Errors, client.ProblemField{Code: d.Code, Field: d.Field, Detail: d.Message})
	}
	if after := e.Kind.RetryAfter(); after != "" {
		w.Header().Set("Retry-After", after)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Mutual-TLS realm="segl"`) // RFC 8705: the credential is the client certificate
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
