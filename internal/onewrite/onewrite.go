// Package onewrite lets an HTTP/1 handler send a whole pre-rendered
// response — status line, headers and body — with one write(2).
//
// net/http buffers a connection's output in 4 KiB: a response whose
// headers and body are larger leaves in two writes (the full buffer, then
// the rest of the body), which on loopback and fast networks costs a
// second system call, a second TCP segment and a second wake-up of the
// client. Connections accepted through Listen can gather those writes for
// the duration of one Send and pass them to the kernel at once, as a
// static file server's writev does. Everything else about the connection
// (reads, deadlines, sendfile through ReadFrom, CloseWrite) is the plain
// *net.TCPConn.
package onewrite

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// MaxGather bounds the bytes gathered for one response; a larger response
// is passed through in net/http's own writes past that point.
const MaxGather = 256 << 10

// minBody is the body size from which Send gathers: smaller responses
// fit net/http's 4 KiB connection buffer with their headers anyway.
const minBody = 3 << 10

// Listen wraps l so that the TCP connections it accepts support Send.
// Use it together with ConnContext as the http.Server's ConnContext.
func Listen(l net.Listener) net.Listener { return listener{l} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &conn{TCPConn: tc}, err
	}
	return c, err
}

type connKey struct{}

// ConnContext is an http.Server ConnContext that records connections
// accepted by Listen in their requests' contexts, for Send.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if oc, ok := c.(*conn); ok {
		return context.WithValue(ctx, connKey{}, oc)
	}
	return ctx
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// conn is a TCP connection whose writes can be gathered. Only the
// goroutine serving the connection's current request writes to it, so
// gathering needs no lock.
type conn struct {
	*net.TCPConn
	buf *[]byte // non-nil while gathering
}

func (c *conn) Write(p []byte) (int, error) {
	if c.buf == nil {
		return c.TCPConn.Write(p)
	}
	if len(*c.buf)+len(p) <= MaxGather {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	if err := c.release(); err != nil {
		return 0, err
	}
	return c.TCPConn.Write(p)
}

func (c *conn) gather() { c.buf = bufs.Get().(*[]byte) }

// release writes what was gathered and stops gathering. After a failed
// write the connection is closed: net/http already counts the bytes as
// sent, so it must not serve another request on it.
func (c *conn) release() error {
	b := c.buf
	if b == nil {
		return nil
	}
	c.buf = nil
	var err error
	if len(*b) > 0 {
		if _, err = c.TCPConn.Write(*b); err != nil {
			_ = c.TCPConn.Close()
		}
	}
	*b = (*b)[:0]
	if cap(*b) <= MaxGather {
		bufs.Put(b)
	}
	return err
}

// Send writes status and, unless the request is a HEAD, body as the
// whole response; the caller has set the headers (Content-Length
// included). On a connection accepted through Listen the response leaves
// in one write; elsewhere (TLS, HTTP/2, tests with httptest recorders)
// it is an ordinary WriteHeader and Write.
func Send(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if r.Method == http.MethodHead {
		body = nil
	}
	c, _ := r.Context().Value(connKey{}).(*conn)
	if c == nil || len(body) < minBody || r.ProtoMajor != 1 {
		w.WriteHeader(status)
		if len(body) > 0 {
			_, _ = w.Write(body)
		}
		return
	}
	c.gather()
	defer c.release() //nolint:errcheck // a failed write closes the connection
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_ = http.NewResponseController(w).Flush()
}
