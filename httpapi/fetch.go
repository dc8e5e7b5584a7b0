package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"syscall"
	"time"
)

// remoteFetcher downloads the file of a remote upload (`file=https://...`), guarded: http(s)
// only, bounded in time, size and redirects, and — unless private fetches are allowed — never
// to a loopback, private, link-local or otherwise non-public address. The address is checked
// when the connection is made, after DNS, so neither a hostname that resolves inward nor a
// redirect can reach one.
type remoteFetcher struct {
	client   *http.Client
	maxBytes int64
}

const maxRedirects = 5

func newRemoteFetcher(allowPrivate bool, timeout time.Duration, maxBytes int64) *remoteFetcher {
	if allowPrivate {
		return newGuardedFetcher(nil, timeout, maxBytes)
	}
	return newGuardedFetcher(isPublic, timeout, maxBytes)
}

// newGuardedFetcher builds a fetcher that dials only the addresses allowed says yes to (every
// address when allowed is nil).
func newGuardedFetcher(allowed func(netip.Addr) bool, timeout time.Duration, maxBytes int64) *remoteFetcher {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if allowed != nil {
		dialer.Control = addressGuard(allowed)
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real destination from the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          4,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s: address", req.URL.Scheme)
			}
			return nil
		},
	}
	return &remoteFetcher{client: client, maxBytes: maxBytes}
}

// errAddressNotAllowed marks a connection refused by the address guard.
var errAddressNotAllowed = errors.New("address not allowed")

// addressGuard is a dialer Control that refuses every address allowed says no to. It runs on
// the resolved address of each connection, redirects included.
func addressGuard(allowed func(netip.Addr) bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", errAddressNotAllowed, address)
		}
		if !allowed(ap.Addr()) {
			return fmt.Errorf("%w: %s", errAddressNotAllowed, ap.Addr())
		}
		return nil
	}
}

// refuseNonPublic is the default guard: public addresses only.
var refuseNonPublic = addressGuard(isPublic)

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, private in practice.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!sharedAddressSpace.Contains(a)
}

// fetch downloads rawURL into dst and returns the file name the URL ends with.
func (f *remoteFetcher) fetch(ctx context.Context, rawURL string, dst *os.File) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", badRequest("Invalid remote URL %s", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", badRequest("Invalid remote URL %s", rawURL)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errAddressNotAllowed) {
			return "", badRequest("Remote address not allowed for %s", rawURL)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", badRequest("Timeout fetching %s", rawURL)
		}
		return "", badRequest("Error in loading %s - %v", rawURL, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", errorf(http.StatusNotFound, "Resource not found - %s", rawURL)
	}
	if resp.StatusCode/100 != 2 {
		return "", badRequest("Error in loading %s - %s", rawURL, resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return "", fileTooLarge(resp.ContentLength, f.maxBytes)
	}
	n, err := io.Copy(diskWriter{dst}, io.LimitReader(resp.Body, f.maxBytes+1))
	if failure := localWriteFailure(err); failure != nil {
		return "", failure
	}
	if err != nil {
		return "", badRequest("Error in loading %s - %v", rawURL, err)
	}
	if n > f.maxBytes {
		return "", fileTooLarge(0, f.maxBytes)
	}
	return path.Base(resp.Request.URL.Path), nil
}
