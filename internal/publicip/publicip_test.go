package publicip

import (
	"errors"
	"net/netip"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"2a01:4f8::1", true},
		{"127.0.0.1", false},
		{"::ffff:127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.100.100.200", false}, // Alibaba Cloud metadata, in 100.64.0.0/10
		{"100.64.0.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"192.0.0.1", false},
		{"192.0.0.9", false},
		{"0.0.0.0", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"224.0.0.1", false},
		{"::1", false},
		{"::", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b:1::a00:1", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2001::1", false},
		{"2001:db8::1", false},
		{"fec0::1", false}, // deprecated site-local
		{"fd00::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"ff02::1", false},
		{"3fff::1", false},
		{"4000::1", false},
	} {
		err := Check(netip.MustParseAddr(tt.addr))
		if (err == nil) != tt.public || (err != nil && !errors.Is(err, ErrNotPublic)) {
			t.Errorf("%s: %v, want public=%v", tt.addr, err, tt.public)
		}
	}
}

func TestCheckHost(t *testing.T) {
	for _, tt := range []struct {
		host   string
		public bool
	}{
		{"callback.example.no", true},
		{"93.184.216.34", true},
		{"localhost", false},
		{"LOCALHOST.", false},
		{"api.localhost", false},
		{"127.0.0.1", false},
		{"::1", false},
		{"[::1]", false},
		{"100.100.100.200", false},
	} {
		if err := CheckHost(tt.host); (err == nil) != tt.public {
			t.Errorf("%s: %v, want public=%v", tt.host, err, tt.public)
		}
	}
}

// TestTableWellFormed: every entry is a masked prefix with a name and a
// citation, so the table reads as the registries do.
func TestTableWellFormed(t *testing.T) {
	for _, s := range special {
		if s.prefix != s.prefix.Masked() || s.name == "" || s.spec == "" {
			t.Errorf("entry %+v", s)
		}
	}
}
