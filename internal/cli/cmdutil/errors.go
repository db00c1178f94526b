package cmdutil

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// Exit codes of drok.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	ExitAuth  = 4
)

// FlagError is a usage error: a bad flag, argument or combination of them.
// It exits with ExitUsage.
type FlagError struct{ err error }

// FlagErrorf formats a usage error.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error (nil stays nil).
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{err: err}
}

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// AuthError reports a missing or rejected login. It exits with ExitAuth.
type AuthError struct{ err error }

// NewAuthError marks err as an authentication error.
func NewAuthError(err error) error { return &AuthError{err: err} }

// AuthErrorf formats an authentication error.
func AuthErrorf(format string, args ...any) error {
	return &AuthError{err: fmt.Errorf(format, args...)}
}

func (e *AuthError) Error() string { return e.err.Error() }
func (e *AuthError) Unwrap() error { return e.err }

// ErrSilent exits with ExitError without printing anything more: the
// command already told the user what went wrong.
var ErrSilent = errors.New("silent error")

// ErrCancel reports that the user declined a confirmation.
var ErrCancel = errors.New("cancelled")

// ExitCode maps an error to drok's exit code: nil 0, usage 2, missing or
// rejected authentication (AuthError, or 401/403 from the server) 4,
// anything else 1.
func ExitCode(err error) int {
	var fe *FlagError
	var ae *AuthError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &fe):
		return ExitUsage
	case errors.As(err, &ae),
		client.IsStatus(err, http.StatusUnauthorized),
		client.IsStatus(err, http.StatusForbidden):
		return ExitAuth
	default:
		return ExitError
	}
}
