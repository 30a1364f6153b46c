package usage

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

func TestAmountString(t *testing.T) {
	for a, want := range map[Amount]string{0: "0.00", 5: "0.05", 40: "0.40", 172: "1.72", 123456: "1234.56", -40: "-0.40"} {
		if got := a.String(); got != want {
			t.Errorf("Amount(%d) = %q, want %q", a, got, want)
		}
	}
}

func TestVATRoundsHalfUp(t *testing.T) {
	// 25 % of 1.72 is 0.43; of 0.02 is 0.005, which rounds up to 0.01;
	// of 7.95 is 1.9875, which rounds to 1.99.
	for a, want := range map[Amount]Amount{0: 0, 172: 43, 2: 1, 1: 0, 795: 199, 40: 10} {
		if got := VAT(a); got != want {
			t.Errorf("VAT(%s) = %s, want %s", a, got, want)
		}
	}
}

var names = map[string]string{"317510748": "Lånekassen test", "319386416": "Innovasjon test AS"}

// rows as store.Usage orders them: by organisation, month and item name.
var rows = []store.UsageRow{
	{Org: "317510748", Month: "2026-11", Item: "authenticated", Count: 3},
	{Org: "317510748", Month: "2026-11", Item: "callback", Count: 9},
	{Org: "317510748", Month: "2026-11", Item: "email", Count: 4},
	{Org: "317510748", Month: "2026-11", Item: "sms", Count: 5},
	{Org: "317510748", Month: "2026-12", Item: "advanced", Count: 2},
	{Org: "319386416", Month: "2026-12", Item: "fax", Count: 7},
	{Org: "319386416", Month: "2026-12", Item: "mailbox", Count: 2},
}

func TestReportPricesAndTotals(t *testing.T) {
	r := NewReport(rows, names, Standard)
	if len(r.Orgs) != 2 {
		t.Fatalf("%d organisations, want 2", len(r.Orgs))
	}
	a, b := r.Orgs[0], r.Orgs[1]
	// Callbacks are not billed; within a month the price list's order.
	want := []Line{
		{Month: "2026-11", Item: "authenticated", Count: 3, Unit: 172, Priced: true, Amount: 516},
		{Month: "2026-11", Item: "sms", Count: 5, Unit: 40, Priced: true, Amount: 200},
		{Month: "2026-11", Item: "email", Count: 4, Unit: 0, Priced: true, Amount: 0},
		{Month: "2026-12", Item: "advanced", Count: 2, Unit: 199, Priced: true, Amount: 398},
	}
	if a.Number != "317510748" || a.Name != "Lånekassen test" || !equalLines(a.Lines, want) {
		t.Fatalf("first organisation: %+v", a)
	}
	if a.Total != 1114 || a.VAT() != 279 || a.TotalInclVAT() != 1393 {
		t.Errorf("first organisation's totals: %s + %s = %s", a.Total, a.VAT(), a.TotalInclVAT())
	}
	// The mailbox (its own price list) and an item nobody priced show at 0,
	// unpriced, with their counts.
	wantB := []Line{
		{Month: "2026-12", Item: "mailbox", Count: 2},
		{Month: "2026-12", Item: "fax", Count: 7},
	}
	if b.Name != "Innovasjon test AS" || !equalLines(b.Lines, wantB) || b.Total != 0 {
		t.Fatalf("second organisation: %+v", b)
	}
	if r.Total != 1114 || r.VAT() != 279 || r.TotalInclVAT() != 1393 {
		t.Errorf("grand total: %s + %s = %s", r.Total, r.VAT(), r.TotalInclVAT())
	}
}

func equalLines(got, want []Line) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestReportOfNothing(t *testing.T) {
	r := NewReport(nil, nil, Standard)
	if len(r.Orgs) != 0 || r.Total != 0 || r.TotalInclVAT() != 0 {
		t.Fatalf("empty report: %+v", r)
	}
	// Callbacks alone are no billable usage.
	r = NewReport([]store.UsageRow{{Org: "317510748", Month: "2026-11", Item: "callback", Count: 3}}, names, Standard)
	if len(r.Orgs) != 0 {
		t.Fatalf("callbacks were billed: %+v", r)
	}
}

func TestWriteCSV(t *testing.T) {
	rows := []store.UsageRow{
		{Org: "317510748", Month: "2026-11", Item: "authenticated", Count: 3},
		{Org: "317510748", Month: "2026-11", Item: "sms", Count: 5},
		{Org: "910000004", Month: "2026-12", Item: "mailbox", Count: 1},
		{Org: "910000012", Month: "2026-12", Item: "advanced", Count: 1},
	}
	names := map[string]string{"317510748": "Lånekassen test", "910000004": `Etat "Nord", avd. 2`, "910000012": "=HYPERLINK(1)"}
	var buf bytes.Buffer
	if err := NewReport(rows, names, Standard).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "org_number,org_name,month,item,count,unit_price_nok,amount_nok\r\n" +
		"317510748,Lånekassen test,2026-11,authenticated,3,1.72,5.16\r\n" +
		"317510748,Lånekassen test,2026-11,sms,5,0.40,2.00\r\n" +
		"910000004,\"Etat \"\"Nord\"\", avd. 2\",2026-12,mailbox,1,0.00,0.00\r\n" +
		"910000012,'=HYPERLINK(1),2026-12,advanced,1,1.99,1.99\r\n"
	if got := buf.String(); got != want {
		t.Fatalf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC) // already January in Oslo, not in UTC
	for _, tc := range []struct {
		name, from, to     string
		first, last, field string
	}{
		{name: "ok/default-current-norwegian-month", first: "2027-01", last: "2027-01"},
		{name: "ok/two-months", from: "2026-11", to: "2026-12", first: "2026-11", last: "2026-12"},
		{name: "ok/over-new-year", from: "2026-12", to: "2027-01", first: "2026-12", last: "2027-01"},
		{name: "ok/from-only", from: "2026-01", first: "2026-01", last: "2027-01"},
		{name: "fail/not-a-month", from: "2026-13", field: "from"},
		{name: "fail/a-date", to: "2026-11-01", field: "to"},
		{name: "fail/words", from: "november", field: "from"},
		{name: "fail/to-before-from", from: "2026-12", to: "2026-11", field: "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.from, tc.to, now)
			if tc.field != "" {
				var e *errs.Error
				if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != tc.field {
					t.Fatalf("got %v, want an invalid %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.FirstMonth() != tc.first || p.LastMonth() != tc.last {
				t.Fatalf("got %s..%s, want %s..%s", p.FirstMonth(), p.LastMonth(), tc.first, tc.last)
			}
			if p.From.Day() != 1 || p.From.Location() != clock.Norway || p.From.Hour() != 0 || p.To.Day() != 1 || !p.To.After(p.From) {
				t.Fatalf("period %v..%v", p.From, p.To)
			}
		})
	}
}
