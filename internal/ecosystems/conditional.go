package ecosystems

import (
	"github.com/drok-dev/drok/internal/onewrite"
	"net/http"
	"strconv"
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

// ServeRendered writes a pre-rendered document: ETag with If-None-Match
// (304), the gzip variant gz (nil when there is none) for clients that
// accept it, nosniff, and revalidation on every use. vary lists the
// request headers the document depends on.
func ServeRendered(w http.ResponseWriter, r *http.Request, body, gz []byte, etag, ctype, vary string) {
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "private, max-age=0, must-revalidate")
	hd.Set("Vary", vary)
	if ETagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz != nil && RequestAcceptsGzip(r) {
		body = gz
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Type", ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	onewrite.Send(w, r, http.StatusOK, body)
}
