package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// TokenPrefix starts every drok token so secret scanners can find leaks.
const TokenPrefix = "drok_"

// AllScopes lists every token scope.
var AllScopes = []string{store.ScopeRead, store.ScopeWrite, store.ScopeAdmin}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Tokens mints and verifies personal access tokens. Only sha256 hashes are
// stored; last-used times are kept in memory and flushed periodically so
// that authenticating never writes to the index.
type Tokens struct {
	Index store.Index

	mu       sync.Mutex
	lastUsed map[string]time.Time
	// cache maps a token hash to its principal until the next index write.
	cache *store.GenCache[string, cachedToken]
}

type cachedToken struct {
	p       ecosystems.Principal
	expires time.Time
}

// NewTokens returns a token service over idx.
func NewTokens(idx store.Index) *Tokens {
	return &Tokens{Index: idx, lastUsed: map[string]time.Time{}, cache: store.NewGenCache[string, cachedToken](idx, 10000)}
}

// HashToken returns the stored form of a token secret.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewSecret returns a fresh random token secret: "drok_" and 40
// alphanumeric characters (~238 bits).
func NewSecret() (string, error) {
	buf := make([]byte, 40)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("token randomness: %w", err)
	}
	var b strings.Builder
	b.WriteString(TokenPrefix)
	for _, c := range buf {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String(), nil
}

// Create stores a new token for user inside tx and returns it with its
// secret (shown once, never stored). ttl 0 never expires.
func (t *Tokens) Create(tx store.Tx, user, name string, scopes []string, ttl time.Duration) (store.Token, string, error) {
	secret, err := NewSecret()
	if err != nil {
		return store.Token{}, "", err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return store.Token{}, "", fmt.Errorf("token id: %w", err)
	}
	now := time.Now().UTC()
	tok := store.Token{ID: hex.EncodeToString(id), User: user, Name: name, Scopes: scopes, Hash: HashToken(secret), Created: now}
	if ttl > 0 {
		tok.Expires = now.Add(ttl)
	}
	if err := tx.PutToken(tok); err != nil {
		return store.Token{}, "", fmt.Errorf("store token: %w", err)
	}
	return tok, secret, nil
}

// Credential extracts a presented token from a request: Bearer, Basic
// (password, or the user name when the password is empty), a raw
// Authorization header (cargo) or X-NuGet-ApiKey. "" means none.
func Credential(r *http.Request) string {
	if k := r.Header.Get("X-NuGet-ApiKey"); k != "" {
		return k
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return ""
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		return strings.TrimSpace(rest)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return "\x00invalid"
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		if pass == "" {
			return user
		}
		return pass
	}
	return strings.TrimSpace(h)
}

// Authenticate resolves a secret to a principal. Unknown, revoked and
// expired tokens, and tokens of deleted users, give ErrBadToken.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (ecosystems.Principal, error) {
	hash := HashToken(secret)
	p, err := t.lookup(ctx, hash)
	if err != nil {
		return ecosystems.Principal{}, err
	}
	t.mu.Lock()
	t.lastUsed[p.TokenID] = time.Now().UTC()
	t.mu.Unlock()
	return p, nil
}

// lookup resolves a token hash, from the cache when no index write has
// happened since it was last resolved (so revocations apply at once).
func (t *Tokens) lookup(ctx context.Context, hash []byte) (ecosystems.Principal, error) {
	if c, ok := t.cache.Get(string(hash)); ok && (c.expires.IsZero() || time.Now().Before(c.expires)) {
		return c.p, nil
	}
	gen := t.cache.Begin()
	var c cachedToken
	err := t.Index.View(ctx, func(tx store.Tx) error {
		tok, err := tx.TokenByHash(hash)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ecosystems.ErrBadToken
			}
			return err
		}
		if subtle.ConstantTimeCompare(tok.Hash, hash) != 1 {
			return ecosystems.ErrBadToken
		}
		if !tok.Revoked.IsZero() || (!tok.Expires.IsZero() && !time.Now().Before(tok.Expires)) {
			return ecosystems.ErrBadToken
		}
		u, err := tx.User(tok.User)
		if err != nil {
			return ecosystems.ErrBadToken
		}
		c = cachedToken{p: ecosystems.Principal{User: u.Name, SiteAdmin: u.Admin, Scopes: tok.Scopes, TokenID: tok.ID}, expires: tok.Expires}
		return nil
	})
	if err != nil {
		return ecosystems.Principal{}, err
	}
	t.cache.Put(string(hash), c, gen)
	return c.p, nil
}

func (t *Tokens) withLastUsed(c client.Token) client.Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	if lu, ok := t.lastUsed[c.ID]; ok && lu.After(c.LastUsed) {
		c.LastUsed = lu
	}
	return c
}

// Flush writes pending last-used times to the index.
func (t *Tokens) Flush(ctx context.Context) error {
	t.mu.Lock()
	pending := t.lastUsed
	t.lastUsed = map[string]time.Time{}
	t.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	return store.UpdateCounters(ctx, t.Index, func(tx store.Tx) error {
		for id, at := range pending {
			tok, err := tx.Token(id)
			if err != nil {
				continue
			}
			if at.After(tok.LastUsed) {
				tok.LastUsed = at
				if err := tx.PutToken(tok); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
