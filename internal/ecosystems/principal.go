package ecosystems

import (
	"context"
	"errors"
	"slices"

	"github.com/drok-dev/drok/internal/store"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	// User is the account name; empty for anonymous callers.
	User string
	// SiteAdmin is true for server administrators.
	SiteAdmin bool
	// Scopes are the token's scopes.
	Scopes []string
	// TokenID identifies the token used (never the secret).
	TokenID string
}

// Anonymous reports whether no user is authenticated.
func (p Principal) Anonymous() bool { return p.User == "" }

// HasScope reports whether the token grants scope. admin implies every
// scope and package:write implies package:read.
func (p Principal) HasScope(scope string) bool {
	if p.Anonymous() {
		return false
	}
	if slices.Contains(p.Scopes, store.ScopeAdmin) || slices.Contains(p.Scopes, scope) {
		return true
	}
	return scope == store.ScopeRead && slices.Contains(p.Scopes, store.ScopeWrite)
}

// ErrBadToken reports a presented token that is unknown, revoked or expired.
var ErrBadToken = errors.New("invalid, expired or revoked token")

type principalKey struct{}

type principalValue struct {
	p   Principal
	err error
}

// WithPrincipal returns ctx carrying the request's principal, or the error
// met while authenticating it.
func WithPrincipal(ctx context.Context, p Principal, err error) context.Context {
	return context.WithValue(ctx, principalKey{}, principalValue{p, err})
}

// PrincipalFrom returns the principal stored by WithPrincipal. A request
// without one is anonymous. The error is ErrBadToken (wrapped) when the
// caller presented a credential that does not authenticate.
func PrincipalFrom(ctx context.Context) (Principal, error) {
	v, _ := ctx.Value(principalKey{}).(principalValue)
	return v.p, v.err
}
