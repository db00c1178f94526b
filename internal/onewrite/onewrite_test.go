package onewrite

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// TestSend serves bodies of several sizes (below minBody, a few buffers,
// beyond MaxGather) to GET and HEAD requests on one keep-alive connection
// and checks every response, and that gathering ended after each one.
func TestSend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{}
	for _, n := range []int{0, 100, minBody, 16 << 10, MaxGather + 5000} {
		bodies["/"+strconv.Itoa(n)] = bytes.Repeat([]byte{'a' + byte(n%26)}, n)
	}
	gathering := make(chan bool, 100)
	srv := &http.Server{ConnContext: ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := bodies[r.URL.Path]
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		Send(w, r, http.StatusOK, body)
		c, _ := r.Context().Value(connKey{}).(*conn)
		gathering <- c == nil || c.buf != nil
	})}
	go srv.Serve(Listen(ln))
	defer srv.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for path, body := range bodies {
		for _, method := range []string{"GET", "HEAD", "GET"} {
			fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: example.test\r\n\r\n", method, path)
			req, _ := http.NewRequest(method, path, nil)
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := body
			if method == "HEAD" {
				want = nil
			}
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, want) || resp.ContentLength != int64(len(body)) {
				t.Fatalf("%s %s: status %d, %d of %d bytes, length %d, %v", method, path, resp.StatusCode, len(got), len(want), resp.ContentLength, err)
			}
			if <-gathering {
				t.Fatalf("%s %s: no connection in the context, or still gathering after Send", method, path)
			}
		}
	}
}
