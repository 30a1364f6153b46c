package job

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestValidPID(t *testing.T) {
	tests := []struct {
		name, pid string
		want      bool
	}{
		{"ok/synthetic-ola", "21909825250", true},
		{"ok/synthetic-kari", "03896127682", true},
		{"fail/check-digit-1", "21909825260", false},
		{"fail/check-digit-2", "21909825251", false},
		{"fail/short", "2190982525", false},
		{"fail/letters", "2190982525a", false},
		{"fail/month-13", "01130012345", false},
		{"fail/day-0", "00010012345", false},
		{"fail/empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidPID(tt.pid); got != tt.want {
				t.Fatalf("ValidPID(%q) = %v, want %v", tt.pid, got, tt.want)
			}
		})
	}
}

// TestPIDVariants builds numbers with correct check digits for each variant
// the registers issue, so the date rules are tested apart from the checksums.
func TestPIDVariants(t *testing.T) {
	withChecks := func(nine string) string {
		d := make([]int, 11)
		for i := range 9 {
			d[i] = int(nine[i] - '0')
		}
		d[9] = mod11([]int{3, 7, 6, 1, 8, 9, 4, 5, 2}, d[:9])
		d[10] = mod11([]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}, d[:10])
		if d[9] < 0 || d[10] < 0 {
			return ""
		}
		b := []byte(nine)
		return string(append(b, byte('0'+d[9]), byte('0'+d[10])))
	}
	tests := []struct {
		name, nine string
		want       bool
	}{
		{"ok/ordinary", "010190123", true},
		{"ok/d-number", "410190123", true},
		{"ok/synthetic", "018190123", true},
		{"ok/h-number", "014190123", true},
		{"ok/leap-day", "290200123", true},
		{"fail/feb-30", "300200123", false},
		{"fail/month-0", "010090123", false},
		{"fail/d-number-day-72", "720190123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Try individual numbers until one yields legal check digits.
			for ind := 100; ind < 200; ind++ {
				nine := tt.nine[:6] + itoa3(ind)
				pid := withChecks(nine)
				if pid == "" {
					continue
				}
				if got := ValidPID(pid); got != tt.want {
					t.Fatalf("ValidPID(%s) = %v, want %v", pid, got, tt.want)
				}
				return
			}
			t.Fatal("no individual number gave legal check digits")
		})
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// TestPopulation checks the shared synthetic population passes, so --dev
// works with every test person and organisation.
func TestPopulation(t *testing.T) {
	raw, err := os.ReadFile("../dev/population/population.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		People []struct {
			PID, Email, Mobile string
		}
		Organisations []struct{ Orgnr string }
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.People) == 0 || len(p.Organisations) == 0 {
		t.Fatal("empty population")
	}
	for _, person := range p.People {
		if !ValidPID(person.PID) {
			t.Errorf("pid %s invalid", person.PID)
		}
		if person.Email != "" && !ValidEmail(person.Email) {
			t.Errorf("email %s invalid", person.Email)
		}
		if person.Mobile != "" && !ValidMobile(person.Mobile) {
			t.Errorf("mobile %s invalid", person.Mobile)
		}
	}
	for _, o := range p.Organisations {
		if !ValidOrgNumber(o.Orgnr) {
			t.Errorf("orgnr %s invalid", o.Orgnr)
		}
	}
}

func TestValidOrgNumber(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{{"317510748", true}, {"974760673", true}, {"317510749", false}, {"31751074", false}, {"31751074x", false}} {
		if got := ValidOrgNumber(tt.s); got != tt.want {
			t.Errorf("ValidOrgNumber(%q) = %v", tt.s, got)
		}
	}
}

func TestValidEmailAndMobile(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"ola@example.test", true}, {"Ola <ola@example.test>", false}, {"ola@localhost", false},
		{"ola@example.test\r\nBcc: x@y.z", false}, {"", false}, {"@example.test", false},
	} {
		if got := ValidEmail(tt.s); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v", tt.s, got)
		}
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{{"+4791234567", true}, {"4791234567", false}, {"+0791234567", false}, {"+47 91234567", false}, {"+4712", false}} {
		if got := ValidMobile(tt.s); got != tt.want {
			t.Errorf("ValidMobile(%q) = %v", tt.s, got)
		}
	}
}

func FuzzValidPID(f *testing.F) {
	for _, s := range []string{"21909825250", "41019012345", "00000000000", "99999999999", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidPID(s) {
			// Anything accepted must be eleven digits whose checks recompute.
			if len(s) != 11 {
				t.Fatalf("accepted %q", s)
			}
			d := make([]int, 11)
			for i := range 11 {
				d[i] = int(s[i] - '0')
			}
			if mod11([]int{3, 7, 6, 1, 8, 9, 4, 5, 2}, d[:9]) != d[9] {
				t.Fatalf("accepted %q with a wrong first check digit", s)
			}
		}
		ValidOrgNumber(s)
		ValidEmail(s)
		if ValidMobile(s) && (len(s) > 16 || s[0] != '+' || strings.Trim(s[1:], "0123456789") != "") {
			t.Fatalf("ValidMobile accepted %q", s)
		}
	})
}

func TestBirthDateMatchesPopulation(t *testing.T) {
	raw, _ := os.ReadFile("../dev/population/population.json")
	var p struct {
		People []struct {
			PID       string `json:"pid"`
			BirthDate string `json:"birth_date"`
		}
	}
	json.Unmarshal(raw, &p)
	for _, person := range p.People {
		if got, ok := BirthDate(person.PID); !ok || got != person.BirthDate {
			t.Errorf("BirthDate(%s) = %q, %v; want %s", person.PID, got, ok, person.BirthDate)
		}
	}
}
