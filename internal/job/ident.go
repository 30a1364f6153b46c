package job

import (
	"net/mail"
	"strings"
	"time"
)

// ValidPID reports whether s is a well-formed Norwegian national identity
// number (fødselsnummer): eleven digits, a possible birth date, and both
// modulus-11 check digits right. It accepts the variants the national
// registers issue: D-numbers (day + 40), synthetic test numbers (month + 80,
// as in Skatteetaten's test population) and H-numbers (month + 40).
func ValidPID(s string) bool {
	if len(s) != 11 {
		return false
	}
	var d [11]int
	for i := range 11 {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d[i] = int(c - '0')
	}
	day := d[0]*10 + d[1]
	month := d[2]*10 + d[3]
	if day > 40 {
		day -= 40 // D-number
	}
	switch {
	case month > 80:
		month -= 80 // synthetic test person
	case month > 40:
		month -= 40 // H-number
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month) {
		return false
	}
	k1 := mod11([]int{3, 7, 6, 1, 8, 9, 4, 5, 2}, d[:9])
	if k1 < 0 || k1 != d[9] {
		return false
	}
	k2 := mod11([]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}, d[:10])
	return k2 >= 0 && k2 == d[10]
}

// ValidOrgNumber reports whether s is a Norwegian organisation number: nine
// digits with a modulus-11 check digit (Brønnøysundregistrene's rule).
func ValidOrgNumber(s string) bool {
	if len(s) != 9 {
		return false
	}
	var d [9]int
	for i := range 9 {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d[i] = int(c - '0')
	}
	k := mod11([]int{3, 2, 7, 6, 5, 4, 3, 2}, d[:8])
	return k >= 0 && k == d[8]
}

// mod11 returns the check digit for digits under weights, or -1 when the
// number cannot have one (remainder 1 gives the illegal digit 10).
func mod11(weights, digits []int) int {
	sum := 0
	for i, w := range weights {
		sum += w * digits[i]
	}
	k := 11 - sum%11
	switch k {
	case 11:
		return 0
	case 10:
		return -1
	}
	return k
}

// daysIn allows 29 February: the century, and so leap-ness, is coded in the
// individual number in ways not worth trusting for validation.
func daysIn(month int) int {
	return time.Date(2000, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ValidEmail accepts a bare address (no display name) of sane length with a
// dot in the domain, which is what a notification can actually be sent to.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// ValidMobile accepts E.164 numbers: "+", a country code not starting with 0,
// and 8 to 15 digits in all.
func ValidMobile(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// BirthDate derives the birth date (YYYY-MM-DD) from a valid identity
// number: day and month with the D-, H- and synthetic offsets removed, and
// the century from the individual number as Skatteetaten assigns it.
func BirthDate(pid string) (string, bool) {
	if !ValidPID(pid) {
		return "", false
	}
	n := func(s string) int {
		v := 0
		for _, c := range s {
			v = v*10 + int(c-'0')
		}
		return v
	}
	day, month, yy, ind := n(pid[0:2]), n(pid[2:4]), n(pid[4:6]), n(pid[6:9])
	if day > 40 {
		day -= 40
	}
	switch {
	case month > 80:
		month -= 80
	case month > 40:
		month -= 40
	}
	var year int
	switch {
	case ind <= 499:
		year = 1900 + yy
	case ind <= 749 && yy >= 54:
		year = 1800 + yy
	case yy <= 39:
		year = 2000 + yy
	case ind >= 900:
		year = 1900 + yy
	default:
		return "", false
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), true
}
