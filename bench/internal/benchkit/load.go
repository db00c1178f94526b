// Package benchkit holds the code shared by the benchmark commands under
// bench/: the closed-loop HTTP load generator, RSS sampling, starting and
// stopping server processes, and small report helpers.
package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// LoadSpec describes one closed-loop load run: Concurrency keep-alive
// workers each issue the same GET of URL back to back.
type LoadSpec struct {
	URL         string        // http:// URL to GET
	Header      http.Header   // extra request headers
	UserAgent   string        // User-Agent header value, e.g. "drok-bench-npm"
	Concurrency int           // number of workers (connections)
	Warmup      time.Duration // load before the measured window (not counted)
	Duration    time.Duration // measured window
}

// LoadResult is what a load run measured (the warm-up is excluded).
type LoadResult struct {
	Requests  int64         // 200 responses completed in the window
	Bytes     int64         // response body bytes of those
	Elapsed   time.Duration // measured window
	P50, P99  time.Duration // request latency percentiles
	Failures  int64         // non-200 responses or transport errors
	FirstFail string        // description of the first failure
}

// PerSecond is the throughput in successful requests per second.
func (r LoadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// RunLoad drives spec.URL with spec.Concurrency workers: first for
// spec.Warmup (not counted), then for spec.Duration, counting the
// requests that complete inside that window. Every response must be a
// 200; the run stops at the first failure.
func RunLoad(parent context.Context, spec LoadSpec) (LoadResult, error) {
	if spec.Concurrency < 1 || spec.Duration <= 0 {
		return LoadResult{}, errors.New("load: need concurrency ≥ 1 and a positive duration")
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	type worker struct {
		conn               *loadConn
		reqs, bytes, fails int64
		lat                []time.Duration
		firstFail          string
	}
	workers := make([]worker, spec.Concurrency)
	for i := range workers {
		c, err := newLoadConn(spec.URL, spec.UserAgent, spec.Header)
		if err != nil {
			return LoadResult{}, err
		}
		workers[i].conn = c
	}
	start := time.Now()
	measureFrom := start.Add(spec.Warmup)
	measureTo := measureFrom.Add(spec.Duration)

	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			defer w.conn.close()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(measureTo) {
					return
				}
				n, err := w.conn.get()
				t1 := time.Now()
				if err != nil {
					if ctx.Err() != nil {
						return // another worker failed first
					}
					w.fails++
					w.firstFail = err.Error()
					cancel()
					return
				}
				// A request counts when it completes inside the window.
				if t1.After(measureFrom) && !t1.After(measureTo) {
					w.reqs++
					w.bytes += n
					w.lat = append(w.lat, t1.Sub(t0))
				}
			}
		}(&workers[i])
	}
	wg.Wait()

	var res LoadResult
	var all []time.Duration
	for _, w := range workers {
		res.Requests += w.reqs
		res.Bytes += w.bytes
		res.Failures += w.fails
		if res.FirstFail == "" {
			res.FirstFail = w.firstFail
		}
		all = append(all, w.lat...)
	}
	res.Elapsed = spec.Duration
	if res.Failures > 0 {
		return res, fmt.Errorf("load on %s: %d failed requests, first: %s", spec.URL, res.Failures, res.FirstFail)
	}
	if err := parent.Err(); err != nil {
		return res, fmt.Errorf("load on %s: %w", spec.URL, err)
	}
	if res.Requests == 0 {
		return res, fmt.Errorf("load on %s: no request completed in the %s window", spec.URL, spec.Duration)
	}
	slices.Sort(all)
	res.P50 = Percentile(all, 0.50)
	res.P99 = Percentile(all, 0.99)
	return res, nil
}

// loadConn is one worker's keep-alive connection. Workers speak
// HTTP/1.1 over a raw TCP connection with a pre-rendered request, which
// costs the load generator far less CPU than a full http.Client; that
// matters because it shares the machine's cores with the server.
type loadConn struct {
	addr string
	req  []byte
	conn net.Conn
	br   *bufio.Reader
}

// newLoadConn prepares a connection for GETs of rawURL with User-Agent ua
// and header h.
func newLoadConn(rawURL, ua string, h http.Header) (*loadConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", rawURL, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("load: %s: only http URLs are supported", rawURL)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", u.RequestURI(), u.Host, ua)
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return &loadConn{addr: u.Host, req: []byte(b.String())}, nil
}

// get performs one request on the (re)established connection and drains
// the body, returning its length. Any status other than 200 is an error.
func (c *loadConn) get() (int64, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
		if err != nil {
			return 0, fmt.Errorf("dial %s: %w", c.addr, err)
		}
		c.conn = conn
		c.br = bufio.NewReaderSize(conn, 64<<10)
	}
	if err := c.conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		return 0, c.fail(fmt.Errorf("set deadline: %w", err))
	}
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, c.fail(fmt.Errorf("write request: %w", err))
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, c.fail(fmt.Errorf("read response: %w", err))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return n, c.fail(fmt.Errorf("read body: %w", err))
	}
	if resp.Close {
		c.close()
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %s", resp.Status)
	}
	return n, nil
}

func (c *loadConn) fail(err error) error {
	c.close()
	return err
}

func (c *loadConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

// Percentile returns the q-quantile of sorted durations.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}
