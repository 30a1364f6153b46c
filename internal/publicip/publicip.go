// Package publicip decides whether an address is one a callback may go to:
// a public unicast address of the Internet, not the host segl runs on, its
// private network, a cloud metadata service or any other address the IANA
// special-purpose registries set aside. One table serves both the check of
// a callback URL when a job is created and the check of every address a
// callback actually dials (internal/delivery), so the two cannot disagree.
//
// The table is the IANA IPv4 Special-Purpose Address Registry and the IANA
// IPv6 Special-Purpose Address Registry (RFC 6890, updated by RFC 8190),
// entry by entry, as of 2025. Every entry is refused, including the few the
// registries mark globally reachable: they are anycast protocol services
// (PCP, TURN, AS112 DNS sinks, AMT relays) and overlay identifiers
// (ORCHIDv2, DETs), never a sender's web server. Beyond the registries,
// IPv6 outside 2000::/3, the only range IANA allocates as global unicast
// (IANA IPv6 Address Space registry; RFC 4291 §2.4), is refused, which
// also covers the deprecated site-local fec0::/10 (RFC 3879), and so is
// anything that is not unicast (multicast, 224.0.0.0/4 and ff00::/8).
package publicip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNotPublic reports an address, or a host name, that a callback must
// not reach.
var ErrNotPublic = errors.New("publicip: not a public address")

// entry is one registry entry: the block, its name and where it is defined.
type entry struct {
	prefix netip.Prefix
	name   string
	spec   string
}

func e(prefix, name, spec string) entry {
	return entry{netip.MustParsePrefix(prefix), name, spec}
}

// special is every entry of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (https://www.iana.org/assignments/iana-ipv4-special-registry,
// https://www.iana.org/assignments/iana-ipv6-special-registry).
var special = []entry{
	// IPv4.
	e("0.0.0.0/8", `"This network"`, "RFC 791 §3.2"),
	e("0.0.0.0/32", `"This host on this network"`, "RFC 1122 §3.2.1.3"),
	e("10.0.0.0/8", "Private-Use", "RFC 1918"),
	e("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
	e("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3"),
	e("169.254.0.0/16", "Link Local", "RFC 3927"),
	e("172.16.0.0/12", "Private-Use", "RFC 1918"),
	e("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 §2.1"),
	e("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
	e("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
	e("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),
	e("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
	e("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
	e("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
	e("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
	e("192.31.196.0/24", "AS112-v4", "RFC 7535"),
	e("192.52.193.0/24", "AMT", "RFC 7450"),
	e("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
	e("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),
	e("192.168.0.0/16", "Private-Use", "RFC 1918"),
	e("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
	e("198.18.0.0/15", "Benchmarking", "RFC 2544"),
	e("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
	e("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
	e("240.0.0.0/4", "Reserved", "RFC 1112 §4"),
	e("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 §7"),
	// IPv6.
	e("::1/128", "Loopback Address", "RFC 4291"),
	e("::/128", "Unspecified Address", "RFC 4291"),
	e("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"),
	e("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052"),
	e("64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215"),
	e("100::/64", "Discard-Only Address Block", "RFC 6666"),
	e("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
	e("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
	e("2001::/32", "TEREDO", "RFC 4380, RFC 8190"),
	e("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),
	e("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
	e("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
	e("2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752"),
	e("2001:3::/32", "AMT", "RFC 7450"),
	e("2001:4:112::/48", "AS112-v6", "RFC 7535"),
	e("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
	e("2001:20::/28", "ORCHIDv2", "RFC 7343"),
	e("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"),
	e("2001:db8::/32", "Documentation", "RFC 3849"),
	e("2002::/16", "6to4", "RFC 3056"),
	e("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
	e("3fff::/20", "Documentation", "RFC 9637"),
	e("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
	e("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"),
	e("fe80::/10", "Link-Local Unicast", "RFC 4291"),
}

// globalUnicastV6 is the IPv6 range IANA allocates as global unicast.
var globalUnicastV6 = netip.MustParsePrefix("2000::/3")

// Check returns nil for a public unicast address and otherwise an error
// wrapping ErrNotPublic that names the registry entry it falls in. An
// IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
func Check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, s := range special {
		if s.prefix.Contains(a) {
			return fmt.Errorf("%w: %s is in %s, %s (%s)", ErrNotPublic, a, s.prefix, s.name, s.spec)
		}
	}
	switch {
	case !a.IsValid():
		return fmt.Errorf("%w: no address", ErrNotPublic)
	case a.Is6() && !globalUnicastV6.Contains(a):
		return fmt.Errorf("%w: %s is outside 2000::/3, the IPv6 global unicast space", ErrNotPublic, a)
	case !a.IsGlobalUnicast():
		return fmt.Errorf("%w: %s is not unicast", ErrNotPublic, a)
	}
	return nil
}

// CheckHost checks the host of a URL where no name is resolved (when a job
// is created): a literal address is checked like a dialled one, and
// "localhost" and its subdomains, which resolve to loopback (RFC 6761
// §6.3), are refused. Any other name passes here; the address it resolves
// to is checked when it is dialled.
func CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s is loopback (RFC 6761 §6.3)", ErrNotPublic, host)
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return Check(a)
	}
	return nil
}
