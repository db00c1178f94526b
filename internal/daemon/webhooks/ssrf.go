package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// AddrClass is what the SSRF policy makes of a target address.
type AddrClass int

// Address classes.
const (
	// AddrPublic may always be a target.
	AddrPublic AddrClass = iota
	// AddrPrivate (loopback, private networks, CGNAT, unique local) may be
	// a target only when the operator allows private targets.
	AddrPrivate
	// AddrRefused (link-local, cloud metadata, unspecified, multicast,
	// broadcast and reserved) is never a target.
	AddrRefused
)

func (c AddrClass) String() string {
	switch c {
	case AddrPublic:
		return "public"
	case AddrPrivate:
		return "private"
	}
	return "refused"
}

type addrRange struct {
	prefix netip.Prefix
	class  AddrClass
	what   string
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// ranges is checked in order: the first match decides. Metadata addresses
// come before the private ranges that contain them.
var ranges = []addrRange{
	{mustPrefix("169.254.169.254/32"), AddrRefused, "cloud metadata address"},
	{mustPrefix("fd00:ec2::254/128"), AddrRefused, "cloud metadata address"},
	{mustPrefix("100.100.100.200/32"), AddrRefused, "cloud metadata address"},
	{mustPrefix("169.254.0.0/16"), AddrRefused, "link-local address"},
	{mustPrefix("fe80::/10"), AddrRefused, "link-local address"},
	{mustPrefix("0.0.0.0/8"), AddrRefused, "unspecified address"},
	{mustPrefix("::/128"), AddrRefused, "unspecified address"},
	{mustPrefix("224.0.0.0/4"), AddrRefused, "multicast address"},
	{mustPrefix("ff00::/8"), AddrRefused, "multicast address"},
	{mustPrefix("240.0.0.0/4"), AddrRefused, "broadcast or reserved address"},
	{mustPrefix("127.0.0.0/8"), AddrPrivate, "loopback address"},
	{mustPrefix("::1/128"), AddrPrivate, "loopback address"},
	{mustPrefix("10.0.0.0/8"), AddrPrivate, "private address"},
	{mustPrefix("172.16.0.0/12"), AddrPrivate, "private address"},
	{mustPrefix("192.168.0.0/16"), AddrPrivate, "private address"},
	{mustPrefix("fc00::/7"), AddrPrivate, "private address"},
	{mustPrefix("fec0::/10"), AddrPrivate, "private address"},
	{mustPrefix("100.64.0.0/10"), AddrPrivate, "shared (CGNAT) address"},
	{mustPrefix("198.18.0.0/15"), AddrPrivate, "private address"},
}

// IPv6 ranges that embed an IPv4 address: the embedded address is
// classified too and the stricter class wins.
var (
	nat64     = mustPrefix("64:ff9b::/96")
	sixToFour = mustPrefix("2002::/16")
	v4compat  = mustPrefix("::/96")
)

// Classify returns the class of ip and, unless public, why. IPv4-mapped
// (::ffff:a.b.c.d), IPv4-compatible, NAT64 and 6to4 addresses are judged
// by the IPv4 address they carry as well.
func Classify(ip netip.Addr) (AddrClass, string) {
	if !ip.IsValid() {
		return AddrRefused, "invalid address"
	}
	ip = ip.Unmap().WithZone("")
	class, what := classifyOne(ip)
	if ip.Is6() {
		var v4 netip.Addr
		b := ip.As16()
		switch {
		case nat64.Contains(ip), v4compat.Contains(ip) && class == AddrPublic:
			v4 = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(ip):
			v4 = netip.AddrFrom4([4]byte(b[2:6]))
		}
		if v4.IsValid() {
			if c, w := classifyOne(v4); c > class {
				class, what = c, w+" (embedded in "+ip.String()+")"
			}
		}
	}
	return class, what
}

func classifyOne(ip netip.Addr) (AddrClass, string) {
	for _, r := range ranges {
		if r.prefix.Contains(ip) {
			return r.class, r.what
		}
	}
	return AddrPublic, ""
}

// Policy is the SSRF policy of outgoing webhook requests.
type Policy struct {
	// AllowPrivate permits loopback, private and CGNAT targets.
	AllowPrivate bool
}

// ErrRefusedTarget reports a target address the policy refuses.
var ErrRefusedTarget = errors.New("webhook target refused")

// Check returns an error wrapping ErrRefusedTarget when ip may not be a
// target.
func (p Policy) Check(ip netip.Addr) error {
	class, what := Classify(ip)
	switch {
	case class == AddrRefused:
		return fmt.Errorf("%w: %s is a %s", ErrRefusedTarget, ip, what)
	case class == AddrPrivate && !p.AllowPrivate:
		return fmt.Errorf("%w: %s is a %s (the server does not allow private webhook targets; see drok serve --webhook-allow-private)", ErrRefusedTarget, ip, what)
	}
	return nil
}

// control is the net.Dialer Control function: it runs on the resolved
// address of every connection, so DNS answers (rebinding included) and
// redirect targets are checked too.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: bad address %q", ErrRefusedTarget, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: bad address %q", ErrRefusedTarget, address)
	}
	return p.Check(ip)
}

// MaxRedirects is how many redirects a delivery follows; every hop
// connects through the policy's dialer.
const MaxRedirects = 3

// Client returns an HTTP client whose connections obey p: no proxy from
// the environment, a dialer that checks every resolved address, at most
// MaxRedirects redirects (http and https only) and timeout per request.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to a %s URL", ErrRefusedTarget, req.URL.Scheme)
			}
			if req.URL.User != nil {
				return fmt.Errorf("%w: redirect to a URL with credentials", ErrRefusedTarget)
			}
			return nil
		},
	}
}

// Resolver looks up the addresses of a host name.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ValidateURL checks a hook URL at create time: absolute http or https,
// a host, no credentials, at most MaxURLLength bytes, and a literal or
// resolved address the policy accepts. A host that does not resolve yet
// is accepted (the dialer checks it at every delivery). Errors wrap
// store.ErrInvalid.
func (p Policy) ValidateURL(ctx context.Context, r Resolver, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: a webhook needs a URL", store.ErrInvalid)
	}
	if len(raw) > MaxURLLength {
		return "", fmt.Errorf("%w: webhook URL longer than %d bytes", store.ErrInvalid, MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: webhook URL: %v", store.ErrInvalid, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: webhook URL %q must start with http:// or https://", store.ErrInvalid, raw)
	case u.User != nil:
		return "", fmt.Errorf("%w: webhook URL must not contain a user name or password", store.ErrInvalid)
	case u.Hostname() == "":
		return "", fmt.Errorf("%w: webhook URL %q has no host", store.ErrInvalid, raw)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.Check(ip); err != nil {
			return "", fmt.Errorf("%w: %v", store.ErrInvalid, err)
		}
		return u.String(), nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(lctx, "ip", host)
	if err != nil {
		return u.String(), nil
	}
	for _, ip := range addrs {
		if err := p.Check(ip); err != nil {
			return "", fmt.Errorf("%w: %s resolves to a refused address: %v", store.ErrInvalid, host, err)
		}
	}
	return u.String(), nil
}
