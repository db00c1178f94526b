//go:build linux

package benchkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunLoadCountsAndFails(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" {
			http.Error(w, "bad accept", http.StatusBadRequest)
			return
		}
		hits.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	h := http.Header{"Accept": {"application/json"}}
	ctx := context.Background()
	res, err := RunLoad(ctx, LoadSpec{URL: srv.URL + "/pkg", Header: h, Concurrency: 4, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Requests > hits.Load() || res.Bytes != res.Requests*int64(len(`{"ok":true}`)) {
		t.Fatalf("result %+v with %d hits", res, hits.Load())
	}
	if _, err := RunLoad(ctx, LoadSpec{URL: srv.URL + "/missing", Header: h, Concurrency: 2, Duration: 100 * time.Millisecond}); err == nil {
		t.Fatal("a 404 did not fail the load run")
	}
}

func TestReadProcMem(t *testing.T) {
	m, err := ReadProcMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Fatalf("mem = %+v", m)
	}
	s := StartRSSSampler(os.Getpid(), time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	peak, n, err := s.Stop()
	if err != nil || peak <= 0 || n == 0 {
		t.Fatalf("sampler: peak %d, %d samples, %v", peak, n, err)
	}
}
