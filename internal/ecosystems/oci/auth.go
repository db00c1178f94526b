package oci

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// TokenTTL is how long a registry token from /v2/token is valid.
const TokenTTL = 5 * time.Minute

const tokenIssuer = "drok"

// tokenService issues and verifies the short-lived registry tokens of
// the Docker token flow: HS256 JWTs signed with a key generated when the
// daemon starts. A token names the drok token it was exchanged for, so a
// revoked or expired drok token stops its registry tokens at once.
type tokenService struct {
	idx   store.Index
	key   []byte
	cache *store.GenCache[string, ecosystems.Principal]
}

func newTokenService(idx store.Index) *tokenService {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(fmt.Sprintf("oci: token key: %v", err))
	}
	return &tokenService{idx: idx, key: key, cache: store.NewGenCache[string, ecosystems.Principal](idx, 10000)}
}

// accessEntry is one granted scope, as in the distribution token spec.
type accessEntry struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

type claims struct {
	jwt.RegisteredClaims
	TokenID string        `json:"tid,omitempty"`
	Access  []accessEntry `json:"access"`
}

func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ") }

func (t *tokenService) issue(p ecosystems.Principal, service string, access []accessEntry) (string, time.Time, error) {
	now := time.Now().UTC()
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: p.User, Audience: jwt.ClaimStrings{service},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(TokenTTL)), ID: fmt.Sprintf("%x", id),
		},
		TokenID: p.TokenID, Access: access,
	}
	if c.Access == nil {
		c.Access = []accessEntry{}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	return s, now, err
}

// verify checks a registry token and returns the principal it was issued
// to (re-checking the underlying drok token) and the scopes it grants.
func (t *tokenService) verify(ctx context.Context, raw string) (ecosystems.Principal, []accessEntry, error) {
	var c claims
	p, err := t.principal(ctx, raw, &c)
	if c.Access == nil {
		c.Access = []accessEntry{}
	}
	return p, c.Access, err
}

func (t *tokenService) principal(ctx context.Context, raw string, c *claims) (ecosystems.Principal, error) {
	_, err := jwt.ParseWithClaims(raw, c, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(tokenIssuer), jwt.WithExpirationRequired())
	if err != nil {
		return ecosystems.Principal{}, fmt.Errorf("registry token: %w", ecosystems.ErrBadToken)
	}
	if c.Subject == "" {
		return ecosystems.Principal{}, nil
	}
	if p, ok := t.cache.Get(c.TokenID); ok && p.User == c.Subject {
		return p, nil
	}
	gen := t.cache.Begin()
	var p ecosystems.Principal
	err = t.idx.View(ctx, func(tx store.Tx) error {
		tok, err := tx.Token(c.TokenID)
		if err != nil || subtle.ConstantTimeCompare([]byte(tok.User), []byte(c.Subject)) != 1 {
			return ecosystems.ErrBadToken
		}
		if !tok.Revoked.IsZero() || (!tok.Expires.IsZero() && !time.Now().Before(tok.Expires)) {
			return ecosystems.ErrBadToken
		}
		u, err := tx.User(tok.User)
		if err != nil {
			return ecosystems.ErrBadToken
		}
		p = ecosystems.Principal{User: u.Name, SiteAdmin: u.Admin, Scopes: tok.Scopes, TokenID: tok.ID}
		return nil
	})
	if err != nil {
		return ecosystems.Principal{}, fmt.Errorf("registry token: %w", err)
	}
	t.cache.Put(c.TokenID, p, gen)
	return p, nil
}

type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// token is GET (and POST, OAuth2 form) /v2/token: it trades Basic
// credentials (any user name, a drok token as password) — or nothing, for
// anonymous pulls — for a registry token granting the requested scopes
// the caller actually has.
func (h *handler) token(w http.ResponseWriter, r *http.Request) {
	rt := Route{Kind: RouteToken}
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodPost) {
		return
	}
	p, err := h.principal(r)
	if r.Method == http.MethodPost {
		if perr := r.ParseForm(); perr != nil {
			h.fail(w, r, rt, oerr(http.StatusBadRequest, "UNSUPPORTED", perr))
			return
		}
		if r.Header.Get("Authorization") == "" {
			// OAuth2 password and refresh-token grants are not offered;
			// clients (containerd) fall back to GET with Basic on 404.
			h.fail(w, r, rt, oerr(http.StatusNotFound, "UNSUPPORTED", errors.New("use GET with Basic credentials")))
			return
		}
	}
	if err != nil {
		// Bad credentials: a Basic challenge, since this endpoint takes Basic.
		w.Header().Set("WWW-Authenticate", `Basic realm="drok"`)
		writeJSON(w, http.StatusUnauthorized, "application/json", errorBody{Errors: []errorEntry{{Code: "UNAUTHORIZED", Message: err.Error()}}})
		return
	}
	q := r.URL.Query()
	scopes := q["scope"]
	if r.Method == http.MethodPost {
		scopes = append(scopes, r.PostForm["scope"]...)
	}
	var access []accessEntry
	_ = h.env.Pipeline.Index.View(r.Context(), func(tx store.Tx) error {
		for _, s := range scopes {
			for one := range strings.FieldsSeq(s) {
				if e, ok := grant(tx, p, one); ok {
					access = append(access, e)
				}
			}
		}
		return nil
	})
	service := q.Get("service")
	if service == "" {
		service = h.service
	}
	tok, now, err := h.tokens.issue(p, service, access)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, "application/json", tokenResponse{Token: tok, AccessToken: tok,
		ExpiresIn: int(TokenTTL / time.Second), IssuedAt: now.Format(time.RFC3339)})
}

// grant returns the part of scope "type:name:actions" that p holds.
func grant(tx store.Tx, p ecosystems.Principal, scope string) (accessEntry, bool) {
	typ, rest, ok := strings.Cut(scope, ":")
	if !ok {
		return accessEntry{}, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return accessEntry{}, false
	}
	name, actions := rest[:i], strings.Split(rest[i+1:], ",")
	e := accessEntry{Type: typ, Name: name, Actions: []string{}}
	switch typ {
	case "registry":
		if name == "catalog" && slices.Contains(actions, "*") {
			e.Actions = append(e.Actions, "*")
		}
	case "repository":
		org, img, ok := strings.Cut(name, "/")
		if !ok || ecosystems.ValidAccountName("org", org) != nil || ValidateImageName(img) != nil {
			return accessEntry{}, false
		}
		k := store.PackageKey{Ecosystem: ecosystems.Docker, Org: org, Name: img}
		canRead := ecosystems.Authorize(tx, p, ecosystems.Read, k) == nil
		canWrite := ecosystems.Authorize(tx, p, ecosystems.Write, k) == nil
		for _, a := range actions {
			switch a {
			case "pull":
				if canRead {
					e.Actions = append(e.Actions, "pull")
				}
			case "push", "delete":
				if canWrite {
					e.Actions = append(e.Actions, a)
				}
			case "*":
				if canRead && canWrite {
					e.Actions = append(e.Actions, "*")
				}
			}
		}
	default:
		return accessEntry{}, false
	}
	return e, true
}
