package ecosystems

import (
	"net/http"
	"strings"
)

// AcceptsGzip reports whether Accept-Encoding values (r.Header
// ["Accept-Encoding"]) allow a gzip response: gzip is listed without
// q=0. The common exact spellings (Maven, curl, browsers) take a fast
// path.
func AcceptsGzip(values []string) bool {
	if len(values) == 1 && (values[0] == "gzip,deflate" || values[0] == "gzip, deflate" || values[0] == "gzip") {
		return true
	}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q := strings.ReplaceAll(params, " ", "")
			return !strings.HasPrefix(q, "q=0") || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") != ""
		}
	}
	return false
}

// RequestAcceptsGzip is AcceptsGzip for a request.
func RequestAcceptsGzip(r *http.Request) bool { return AcceptsGzip(r.Header["Accept-Encoding"]) }

// ETagMatch reports whether an If-None-Match header value matches etag
// (weak comparison, "*" matches anything).
func ETagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	bare := strings.TrimPrefix(etag, "W/")
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == bare {
			return true
		}
	}
	return false
}
