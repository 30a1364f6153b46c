package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/segl/segl/internal/publicip"
)

// Callback URLs are the senders' to choose, so a callback must not become
// a way to reach what only segl can reach: its own host, the private
// network it runs in, the cloud metadata service. The check is made on the
// address actually dialled, after name resolution, so a name that resolves
// to a private address is refused too. It uses the table that job creation
// checks callback URLs with (publicip).

// ErrForbiddenAddress is a callback refused for where it would go.
var ErrForbiddenAddress = errors.New("delivery: callback address is not public")

// publicOnly refuses connections to addresses that are not public unicast.
func publicOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if err := publicip.Check(ap.Addr()); err != nil {
		return fmt.Errorf("%w: %w", ErrForbiddenAddress, err)
	}
	return nil
}

// CallbackClient is the HTTP client for callbacks: 10 s per attempt, no
// redirects, and, unless allowPrivate (development and tests, whose
// receivers run on loopback), only public addresses. A redirect is the
// receiver's answer, not a delivery: following a 302 or 303 would turn the
// POST into a GET without the body, whose 2xx would record a callback
// nobody received, and following a 307 would hand the signed body to
// wherever the redirect points. It fails the attempt like any other non-2xx.
func CallbackClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = publicOnly
	}
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 4,
		ForceAttemptHTTP2:   true,
	}}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
