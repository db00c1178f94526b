package nuget_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// BenchmarkRegistrationIndex measures GETs of a 500-version registration
// index through the whole daemon (run with -cpuprofile to see the path).
func BenchmarkRegistrationIndex(b *testing.B) {
	f := newFeedB(b)
	for i := range 500 {
		mustPushB(b, f, pkgSpec{id: "Bench.Pkg", version: fmt.Sprintf("1.%d.%d", i/100, i%100)})
	}
	url := f.root + "v3/registration/bench.pkg/index.json"
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.SetBasicAuth("u", f.srv.AdminToken)
			resp, err := c.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
