// Package usage prices what the organisations used (MISSION P1): the counts
// of store.Usage per organisation, month and item, on a price list, with
// totals, VAT and a CSV export for invoicing.
//
// Money is integer øre (Amount), never floating point, so that sums and
// the CSV are exact. Callbacks to the sender are free and never billed.
// An item that is not on the price list (digital mailbox forwarding, which
// has a price list of its own, or anything metered later and not yet
// priced) is still shown, with its count, at price 0 and marked unpriced:
// usage is never hidden from the report.
package usage

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Amount is money in øre (1/100 NOK).
type Amount int64

// String formats a as NOK with two decimals and a dot: "1.72", "-0.40".
func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
}

// VATRate is the Norwegian general VAT rate, in percent.
const VATRate = 25

// VAT is the VAT on a, rounded half up to whole øre. It is computed on a
// total, not per line, as an invoice does.
func VAT(a Amount) Amount { return (a*VATRate + 50) / 100 }

// PriceList maps an item to its unit price excluding VAT.
type PriceList map[string]Amount

// Standard is eSignering's price list of usage (seed 002, "Brukspris",
// NOK excluding VAT): an authenticated signature 1.72, an advanced
// signature 1.99, an SMS notice 0.40, an e-mail notice 0. Digital mailbox
// forwarding is priced by the separate "Digital postkasse til innbyggere"
// price list, which segl does not have: it is left off, so it shows at 0,
// unpriced.
var Standard = PriceList{
	string(job.Authenticated): 172,
	string(job.Advanced):      199,
	store.ChannelSMS:          40,
	store.ChannelEmail:        0,
}

// unbilled items are free by the terms of the service and left out of the
// report: callbacks are part of the API, not a notice to a person.
var unbilled = []string{store.ChannelCallback}

// itemOrder is the order of items within a month, as the price list has
// them; items not named here follow, by name.
var itemOrder = []string{string(job.Authenticated), string(job.Advanced), store.ChannelSMS, store.ChannelEmail,
	store.ChannelMailbox}

// Line is one item of one organisation in one month.
type Line struct {
	Month  string // "2026-11"
	Item   string // job.Authenticated, job.Advanced, or a store channel
	Count  int64
	Unit   Amount // excluding VAT
	Priced bool   // false: not on the price list, at 0
	Amount Amount // Count × Unit, excluding VAT
}

// Org is one organisation's usage in the period.
type Org struct {
	Number, Name string
	Lines        []Line // by month, then item
	Total        Amount // excluding VAT
}

// VAT is the VAT on the organisation's total.
func (o Org) VAT() Amount { return VAT(o.Total) }

// TotalInclVAT is the organisation's total including VAT.
func (o Org) TotalInclVAT() Amount { return o.Total + o.VAT() }

// Report is the priced usage of a period.
type Report struct {
	Orgs  []Org  // by organisation number; only those with billable usage
	Total Amount // excluding VAT
}

// VAT is the VAT on the grand total.
func (r Report) VAT() Amount { return VAT(r.Total) }

// TotalInclVAT is the grand total including VAT.
func (r Report) TotalInclVAT() Amount { return r.Total + r.VAT() }

// NewReport prices rows (as store.Usage returns them) on prices; names
// gives the organisations' names by number.
func NewReport(rows []store.UsageRow, names map[string]string, prices PriceList) Report {
	var r Report
	byOrg := map[string]*Org{}
	for _, row := range rows {
		if slices.Contains(unbilled, row.Item) {
			continue
		}
		o := byOrg[row.Org]
		if o == nil {
			o = &Org{Number: row.Org, Name: names[row.Org]}
			byOrg[row.Org] = o
		}
		unit, priced := prices[row.Item]
		l := Line{Month: row.Month, Item: row.Item, Count: row.Count, Unit: unit, Priced: priced,
			Amount: unit * Amount(row.Count)}
		o.Lines = append(o.Lines, l)
		o.Total += l.Amount
		r.Total += l.Amount
	}
	for _, o := range byOrg {
		slices.SortFunc(o.Lines, func(a, b Line) int {
			return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(rank(a.Item), rank(b.Item)), cmp.Compare(a.Item, b.Item))
		})
		r.Orgs = append(r.Orgs, *o)
	}
	slices.SortFunc(r.Orgs, func(a, b Org) int { return cmp.Compare(a.Number, b.Number) })
	return r
}

func rank(item string) int {
	if i := slices.Index(itemOrder, item); i >= 0 {
		return i
	}
	return len(itemOrder)
}

// csvHeader names the CSV columns; amounts are NOK excluding VAT.
var csvHeader = []string{"org_number", "org_name", "month", "item", "count", "unit_price_nok", "amount_nok"}

// WriteCSV writes one row per organisation, month and item (RFC 4180:
// CRLF line ends, a header row), amounts in NOK excluding VAT with two
// decimals and a dot, for a spreadsheet or an invoicing system to sum.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, o := range r.Orgs {
		for _, l := range o.Lines {
			rec := []string{o.Number, spreadsheetSafe(o.Name), l.Month, l.Item, strconv.FormatInt(l.Count, 10),
				l.Unit.String(), l.Amount.String()}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("usage: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	return nil
}

// spreadsheetSafe keeps a spreadsheet from reading a text field as a
// formula (OWASP "CSV injection"): such a field gets a leading apostrophe.
func spreadsheetSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// Period is a run of whole months in Norwegian time (clock.Norway): the
// months an invoice to a Norwegian public body names, and the months
// store.Usage is asked to count in.
type Period struct {
	From time.Time // first instant of the first month
	To   time.Time // first instant of the month after the last
}

const monthLayout = "2006-01"

// ParsePeriod reads the months from and to ("2026-11"), inclusive; either
// may be empty for the month of now. A malformed month, or to before from,
// is an Invalid error naming the field.
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	current := now.In(clock.Norway).Format(monthLayout)
	first, err := parseMonth("from", cmp.Or(from, current))
	if err != nil {
		return Period{}, err
	}
	last, err := parseMonth("to", cmp.Or(to, current))
	if err != nil {
		return Period{}, err
	}
	if last.Before(first) {
		return Period{}, errs.Field("to", CodeMonthOrder, "the last month %s is before the first", to)
	}
	return Period{From: first, To: last.AddDate(0, 1, 0)}, nil
}

func parseMonth(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(monthLayout, s, clock.Norway)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, errs.Field(field, codeMonthInvalid, "%q is not a month like 2026-11", s)
	}
	return t, nil
}

// FirstMonth is the period's first month, "2026-11".
func (p Period) FirstMonth() string { return p.From.Format(monthLayout) }

// LastMonth is the period's last month.
func (p Period) LastMonth() string { return p.To.AddDate(0, -1, 0).Format(monthLayout) }
