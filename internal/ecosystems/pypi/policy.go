package pypi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

var _ ecosystems.ErrorWriter = (*Ecosystem)(nil)

// textHints are what the PyPI protocol says for errors users must act on.
func textHints(project string) ecosystems.TextHints {
	hints := ecosystems.TextHints{Ecosystem: "pypi",
		BadToken:      "create a new one with `drok token create` and run `drok setup pip`",
		LoginRequired: "authentication required: use __token__ as the user name and a drok token as the password (`drok setup pip`)",
		NotFound:      "not found"}
	if project != "" {
		hints.NotFound = fmt.Sprintf("project %s not found", NormalizeName(project))
	}
	return hints
}

// WriteError renders err in the PyPI error format (ecosystems.ErrorWriter):
// plain text with a status. Refusals by the org's policy (storage quota,
// bandwidth limit, a blocked vulnerable version) also carry their message
// as the HTTP reason phrase, the only part of a failed response pip and
// twine (without --verbose) print.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, slog.Default(), err, textHints(ParseRoute(ecosystems.Rest(r)).Name))
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, hints ecosystems.TextHints) {
	if reason, ok := policyReason(err); ok {
		noRetryAfter(w, err)
		writeRefusal(w, r, ecosystems.HTTPStatus(err), reason, ecosystems.PublicMessage(err))
		return
	}
	ecosystems.FailText(w, r, log, err, hints)
}

// ResetHeader carries when downloads refused by the bandwidth limit
// resume (RFC 3339), in place of Retry-After.
const ResetHeader = "X-Drok-Bandwidth-Reset"

// noRetryAfter removes the Retry-After header of a bandwidth refusal
// (ecosystems.WriteDownloadError sets it) and names the reset time in
// ResetHeader instead. pip's HTTP library (urllib3) honours Retry-After on
// a 429 by sleeping — up to 6 hours, for each of its 5 retries — so with
// the header `pip install` would hang until the bandwidth month ends
// instead of failing at once with the limit message.
func noRetryAfter(w http.ResponseWriter, err error) {
	w.Header().Del("Retry-After")
	var be *ecosystems.BandwidthError
	if errors.As(err, &be) {
		w.Header().Set(ResetHeader, be.Reset.UTC().Format(time.RFC3339))
	}
}

// policyReason returns the message of a refusal by the org's policy: the
// storage quota, the bandwidth limit or vulnerability blocking.
func policyReason(err error) (string, bool) {
	var qe *ecosystems.QuotaError
	var be *ecosystems.BandwidthError
	var ve *ecosystems.BlockedError
	switch {
	case errors.As(err, &qe):
		return qe.Error(), true
	case errors.As(err, &be):
		return be.Error(), true
	case errors.As(err, &ve):
		return ve.Error(), true
	}
	return "", false
}

// maxReason bounds the reason phrase (Python's http.client reads status
// lines of up to 64 KiB).
const maxReason = 1000

// reasonPhrase makes msg safe for a status line: printable ASCII only.
func reasonPhrase(msg string) string {
	var b strings.Builder
	for _, c := range msg {
		switch {
		case b.Len() >= maxReason:
			return b.String()
		case c == '\t' || c == '\n' || c == '\r':
			b.WriteByte(' ')
		case c < 0x20 || c == 0x7f:
		case c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// writeRefusal writes a plain-text answer whose HTTP reason phrase is
// reason ("HTTP/1.1 413 storage limit exceeded: …"). pip reports a failed
// download as "403 Client Error: <reason phrase> for url: …" and twine an
// upload error as the status and reason phrase, so this is how their users
// see why. Go's server always sends the standard phrase, so on HTTP/1.x
// the answer is written on the hijacked connection, which is then closed
// (after the request body is drained, so the client reads the answer
// instead of a reset). Elsewhere (HTTP/2, test recorders) it falls back
// to a standard status line with body as the text.
func writeRefusal(w http.ResponseWriter, r *http.Request, status int, reason, body string) {
	if r.ProtoMajor == 1 {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err == nil {
			defer conn.Close()
			_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
			writeRaw(brw.Writer, w.Header(), r.Method == http.MethodHead, status, reasonPhrase(reason), body+"\n")
			return
		}
	}
	ecosystems.WriteText(w, status, body)
}

// writeRaw writes an HTTP/1.1 response with a custom reason phrase.
func writeRaw(bw *bufio.Writer, h http.Header, head bool, status int, reason, body string) {
	h = h.Clone()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", status, reason)
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	if !head {
		_, _ = bw.WriteString(body)
	}
	_ = bw.Flush()
}

// blockedReason is the PEP 592 yank reason of version v of project name
// when the org's policy blocks it ("" when it does not): the advisories,
// their severities and the fixed versions, after the maintainers' own
// yank reason if there is one.
func blockedReason(s store.OrgSettings, name string, v store.Version) string {
	b := ecosystems.Blocking(s, v)
	if len(b) == 0 {
		return ""
	}
	msg := (&ecosystems.BlockedError{Name: name, Version: v.Version, Advisories: b}).Error()
	if v.Yanked && v.YankReason != "" {
		msg = v.YankReason + "; " + msg
	}
	return msg
}
