package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/usage"
)

// Usage (MISSION P1): what each organisation used per month, priced on
// usage.Standard, on a page and as CSV for invoicing (staff.Service.Usage).
// The counts are derived from the signers' acts and the notice record
// (store.Usage).

type adminUsageView struct {
	From, To string // the months as typed or chosen, "2026-11"
	Errors   []fieldError
	CSV      string // the same report as CSV
	Orgs     []adminUsageOrg
	Total    adminUsageTotal
}

// Error returns the message key for field, if it is invalid.
func (v adminUsageView) Error(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Key
		}
	}
	return ""
}

// adminUsageOrg and adminUsageLine are the report as the page shows it: money
// formatted for the language, items named.
type adminUsageOrg struct {
	Number, Name string
	Lines        []adminUsageLine
	Total        adminUsageTotal
}

type adminUsageLine struct {
	Month, Item, Note string // Note: why the item is at 0, or ""
	Count             int64
	Unit, Amount      string
}

type adminUsageTotal struct {
	Excl, VAT, Incl string
}

// adminUsagePage shows the report for ?from=&to= (months, inclusive; the
// current month by default).
func (w *Web) adminUsagePage(rw http.ResponseWriter, r *http.Request, s Session) error {
	q := r.URL.Query()
	v := adminUsageView{From: q.Get("from"), To: q.Get("to")}
	report, p, err := w.staff.Admin.Usage(r.Context(), adminOf(s), v.From, v.To)
	if field := adminInvalidField(err); field != "" {
		key := "admin.usage.month.invalid"
		if codeOf(err) == usage.CodeMonthOrder {
			key = "admin.usage.month.order"
		}
		v.Errors = []fieldError{{field, key}}
		w.render(rw, r, http.StatusUnprocessableEntity, "admin_usage", v)
		return nil
	}
	if err != nil {
		return err
	}
	lang := Lang(r)
	v.From, v.To = p.FirstMonth(), p.LastMonth()
	v.CSV = "/admin/usage.csv?" + url.Values{"from": {v.From}, "to": {v.To}}.Encode()
	v.Total = adminUsageTotal{w.formatNOK(lang, report.Total), w.formatNOK(lang, report.VAT()), w.formatNOK(lang, report.TotalInclVAT())}
	for _, o := range report.Orgs {
		vo := adminUsageOrg{Number: o.Number, Name: o.Name,
			Total: adminUsageTotal{w.formatNOK(lang, o.Total), w.formatNOK(lang, o.VAT()), w.formatNOK(lang, o.TotalInclVAT())}}
		for _, l := range o.Lines {
			vo.Lines = append(vo.Lines, w.adminUsageLine(lang, l))
		}
		v.Orgs = append(v.Orgs, vo)
	}
	w.Render(rw, r, "admin_usage", v)
	return nil
}

// adminUsageLine names a line's month and item in lang. Items without a text
// of their own (metered, but new to this page) show as they are stored.
func (w *Web) adminUsageLine(lang string, l usage.Line) adminUsageLine {
	month, _ := strconv.Atoi(l.Month[5:])
	v := adminUsageLine{Month: w.T(lang, "month."+strconv.Itoa(month)) + " " + l.Month[:4], Item: l.Item, Count: l.Count,
		Unit: w.formatNOK(lang, l.Unit), Amount: w.formatNOK(lang, l.Amount)}
	if key := "admin.usage.item." + l.Item; w.catalogues[lang][key] != "" {
		v.Item = w.T(lang, key)
	}
	if !l.Priced {
		v.Note = "admin.usage.unpriced"
		if key := "admin.usage.unpriced." + l.Item; w.catalogues[lang][key] != "" {
			v.Note = key
		}
	}
	return v
}

// adminUsageCSV serves the report as CSV (see usage.Report.WriteCSV).
func (w *Web) adminUsageCSV(rw http.ResponseWriter, r *http.Request, s Session) error {
	q := r.URL.Query()
	report, p, err := w.staff.Admin.Usage(r.Context(), adminOf(s), q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf); err != nil {
		return err
	}
	h := rw.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	h.Set("Content-Disposition", `attachment; filename="segl-usage-`+p.FirstMonth()+"-"+p.LastMonth()+`.csv"`)
	h.Set("Cache-Control", "no-store")
	rw.Write(buf.Bytes())
	return nil
}

// adminInvalidField is the form field an Invalid error names, or "".
func adminInvalidField(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.Invalid {
		return e.Field
	}
	return ""
}

// formatNOK writes an amount as the language does, with the catalogue's
// "number.group" and "number.decimal": "1 234,56" in bokmål (a no-break
// space between thousands), "1,234.56" in English.
func (w *Web) formatNOK(lang string, a usage.Amount) string {
	s := a.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	group, point := w.T(lang, "number.group"), w.T(lang, "number.decimal")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(d)
	}
	return sign + b.String() + point + frac
}
