package postenapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// TestAvailabilityCountsFromActivation: a portal job is available for
// available-seconds, or by default for segl's default lifetime (Posten's:
// 30 days), from when it is activated. Counted from creation, a job
// activated in 40 days without available-seconds was refused
// (INVALID_ACTIVATION: after its expiry) and one activated in 10 days had
// 20 days.
var availabilityElement = regexp.MustCompile(`(?s)<availability>.*</availability>`)

// validPIDs replaces the example's identity numbers, which fail the check
// digits, by valid ones of the development population.
var validPIDs = strings.NewReplacer("12345678910", "21909825250", "10987654321", "03896127682",
	"01013300001", "07839635529", "02038412546", "02859824113")

func TestAvailabilityCountsFromActivation(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name         string
		availability string
		expires      time.Time
	}{
		{"activation-in-40-days", `<activation-time>2027-01-17T09:00:00Z</activation-time>`, now.Add(70 * day)},
		{"activation-in-10-days", `<activation-time>2026-12-18T09:00:00Z</activation-time>`, now.Add(40 * day)},
		{"activation-and-seconds", `<activation-time>2026-12-18T09:00:00Z</activation-time><available-seconds>864000</available-seconds>`, now.Add(20 * day)},
		{"activation-passed", `<activation-time>2016-02-10T12:00:00+01:00</activation-time>`, now.Add(30 * day)},
		{"seconds-alone", `<available-seconds>864000</available-seconds>`, now.Add(10 * day)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifest := availabilityElement.ReplaceAllString(validPIDs.Replace(readAll(t, "portal/manifest.xml")),
				"<availability>"+tc.availability+"</availability>")
			var m portalManifest
			if err := decode(strings.NewReader(manifest), &m); err != nil {
				t.Fatal(err)
			}
			r, _, err := portalRequest(&portalJobRequest{}, &m, "123456789", now, job.DefaultLimits.DefaultExpiry)
			if err != nil {
				t.Fatal(err)
			}
			expires := now.Add(job.DefaultLimits.DefaultExpiry) // none asked: job.New's default
			if r.ExpiresAt != nil {
				expires = *r.ExpiresAt
			}
			if !expires.Equal(tc.expires) {
				t.Fatalf("expires at %v, want %v", expires, tc.expires)
			}
			r.SignatureType = job.Authenticated // the organisation's default, set at creation
			if err := r.Validate(now, job.DefaultLimits); err != nil {
				t.Fatalf("segl refuses the job: %v", err)
			}
		})
	}
}
