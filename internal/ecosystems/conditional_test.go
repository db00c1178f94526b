package ecosystems

import "testing"

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"gzip,deflate"}, true},
		{[]string{"br, GZIP;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"deflate", "gzip"}, true},
		{[]string{"x-gzip"}, false},
		{[]string{"identity"}, false},
	}
	for _, tt := range tests {
		if got := AcceptsGzip(tt.in); got != tt.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestETagMatch(t *testing.T) {
	tests := []struct {
		header, etag string
		want         bool
	}{
		{"", `"a"`, false},
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true},
		{`"b", "a"`, `W/"a"`, true},
		{`*`, `"a"`, true},
		{`"b"`, `"a"`, false},
	}
	for _, tt := range tests {
		if got := ETagMatch(tt.header, tt.etag); got != tt.want {
			t.Errorf("ETagMatch(%q, %q) = %v, want %v", tt.header, tt.etag, got, tt.want)
		}
	}
}
