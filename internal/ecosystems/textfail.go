package ecosystems

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// BasicChallenge is the WWW-Authenticate value of protocols whose clients
// send credentials only after a challenge (pip, Maven, NuGet).
const BasicChallenge = `Basic realm="drok"`

// WriteText writes msg as a plain-text answer with status: the error
// format of PyPI, Maven and NuGet clients, which show the status line
// and body.
func WriteText(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// TextHints are what a plain-text protocol says for the errors its users
// must act on. Empty fields keep the generic message.
type TextHints struct {
	// Ecosystem names the protocol in logs.
	Ecosystem string
	// BadToken follows the bad-token message (how to get a new token).
	BadToken string
	// LoginRequired replaces the message for anonymous callers who must
	// authenticate (how to configure the client's credentials).
	LoginRequired string
	// NotFound replaces the message of 404 answers.
	NotFound string
}

// FailText writes err in the plain-text error format: the status from
// HTTPStatus with a public message, 413 for bodies over the limit, and
// a 401 with BasicChallenge when the caller must (re)authenticate, so
// clients send or ask for credentials. Internal errors are logged, never
// shown.
func FailText(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, hints TextHints) {
	status := HTTPStatus(err)
	msg := PublicMessage(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, ErrBadToken):
		if hints.BadToken != "" {
			msg = ErrBadToken.Error() + ": " + hints.BadToken
		}
	case errors.Is(err, ErrLoginRequired):
		if hints.LoginRequired != "" {
			msg = hints.LoginRequired
		}
	case status == http.StatusNotFound:
		if hints.NotFound != "" {
			msg = hints.NotFound
		}
	case status == http.StatusInternalServerError && log != nil:
		log.Error(hints.Ecosystem+" request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", BasicChallenge)
	}
	WriteText(w, status, msg)
}
