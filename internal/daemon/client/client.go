// Package client is the typed Go client of the drok REST API. The CLI
// talks to the daemon only through it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one drok server.
type Client struct {
	// Server is the base URL, e.g. http://127.0.0.1:5873.
	Server string
	// Token is sent as a Bearer token when non-empty.
	Token string
	// HTTP is the transport; nil uses a client with a 60s timeout for API
	// calls (publish uploads use no overall timeout).
	HTTP *http.Client
}

// New returns a client for server authenticating with token.
func New(server, token string) *Client {
	return &Client{Server: strings.TrimRight(server, "/"), Token: token}
}

// APIError is a non-2xx answer of the server.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// UnreachableError reports that the server could not be contacted.
type UnreachableError struct {
	Server string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach drok server at %s: %v", e.Server, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsStatus reports whether err is an APIError with the given status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

func (c *Client) httpClient(long bool) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	if long {
		return &http.Client{}
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// Do sends a request with an optional JSON body (or an io.Reader sent
// as-is) and decodes a JSON answer into out (when non-nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	contentType := ""
	long := false
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd, contentType, long = b, "application/octet-stream", true
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd, contentType = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient(long).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ctx.Err() == nil {
			return &UnreachableError{Server: c.Server, Err: ue.Err}
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e Error
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		return &APIError{Status: resp.StatusCode, Message: msg}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

// Health checks the server.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	return h, c.Do(ctx, http.MethodGet, "/api/v1/health", nil, &h)
}

// Whoami returns the authenticated user and token.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var w Whoami
	return w, c.Do(ctx, http.MethodGet, "/api/v1/user", nil, &w)
}

// CreateUser creates a user (site admins only) and returns a first token.
func (c *Client) CreateUser(ctx context.Context, in CreateUser) (CreatedUser, error) {
	var out CreatedUser
	return out, c.Do(ctx, http.MethodPost, "/api/v1/users", in, &out)
}

// Users lists users (site admins only).
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out []User
	return out, c.Do(ctx, http.MethodGet, "/api/v1/users", nil, &out)
}

// CreateToken creates a token for the caller; scopes may not exceed the
// calling token's.
func (c *Client) CreateToken(ctx context.Context, in CreateToken) (Token, error) {
	var out Token
	return out, c.Do(ctx, http.MethodPost, "/api/v1/tokens", in, &out)
}

// Tokens lists the caller's tokens.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	return out, c.Do(ctx, http.MethodGet, "/api/v1/tokens", nil, &out)
}

// RevokeToken revokes one of the caller's tokens.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/tokens/"+esc(id), nil, nil)
}

// CreateOrg creates an organisation owned by the caller.
func (c *Client) CreateOrg(ctx context.Context, name string) (Org, error) {
	var out Org
	return out, c.Do(ctx, http.MethodPost, "/api/v1/orgs", map[string]string{"name": name}, &out)
}

// Org returns one organisation.
func (c *Client) Org(ctx context.Context, name string) (Org, error) {
	var out Org
	return out, c.Do(ctx, http.MethodGet, "/api/v1/orgs/"+esc(name), nil, &out)
}

// Orgs lists the organisations the caller belongs to (all for admins).
func (c *Client) Orgs(ctx context.Context) ([]Org, error) {
	var out []Org
	return out, c.Do(ctx, http.MethodGet, "/api/v1/orgs", nil, &out)
}

// EditOrg changes an organisation's settings (owners only).
func (c *Client) EditOrg(ctx context.Context, name string, s OrgSettings) (Org, error) {
	var out Org
	return out, c.Do(ctx, http.MethodPatch, "/api/v1/orgs/"+esc(name), s, &out)
}

// SetMember adds a member or changes their role.
func (c *Client) SetMember(ctx context.Context, org, user, role string) (Org, error) {
	var out Org
	return out, c.Do(ctx, http.MethodPut, "/api/v1/orgs/"+esc(org)+"/members/"+esc(user), map[string]string{"role": role}, &out)
}

// RemoveMember removes a member.
func (c *Client) RemoveMember(ctx context.Context, org, user string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/orgs/"+esc(org)+"/members/"+esc(user), nil, nil)
}

// CreateRepo creates repository org/in.Name.
func (c *Client) CreateRepo(ctx context.Context, org string, in RepoEdit) (Repo, error) {
	var out Repo
	return out, c.Do(ctx, http.MethodPost, "/api/v1/orgs/"+esc(org)+"/repos", in, &out)
}

// Repo returns one repository.
func (c *Client) Repo(ctx context.Context, org, name string) (Repo, error) {
	var out Repo
	return out, c.Do(ctx, http.MethodGet, "/api/v1/repos/"+esc(org)+"/"+esc(name), nil, &out)
}

// EditRepo changes a repository.
func (c *Client) EditRepo(ctx context.Context, org, name string, in RepoEdit) (Repo, error) {
	var out Repo
	return out, c.Do(ctx, http.MethodPatch, "/api/v1/repos/"+esc(org)+"/"+esc(name), in, &out)
}

// Repos lists the repositories of org visible to the caller.
func (c *Client) Repos(ctx context.Context, org string) ([]Repo, error) {
	var out []Repo
	return out, c.Do(ctx, http.MethodGet, "/api/v1/orgs/"+esc(org)+"/repos", nil, &out)
}

// SetCollaborator grants user permission (read, write, admin) on a repository.
func (c *Client) SetCollaborator(ctx context.Context, org, repo, user, perm string) (Repo, error) {
	var out Repo
	return out, c.Do(ctx, http.MethodPut, "/api/v1/repos/"+esc(org)+"/"+esc(repo)+"/collaborators/"+esc(user), map[string]string{"permission": perm}, &out)
}

// RemoveCollaborator removes a collaborator.
func (c *Client) RemoveCollaborator(ctx context.Context, org, repo, user string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/repos/"+esc(org)+"/"+esc(repo)+"/collaborators/"+esc(user), nil, nil)
}

// RepoPackages lists the packages linked to a repository.
func (c *Client) RepoPackages(ctx context.Context, org, repo string) ([]Package, error) {
	var out []Package
	return out, c.Do(ctx, http.MethodGet, "/api/v1/repos/"+esc(org)+"/"+esc(repo)+"/packages", nil, &out)
}

// Packages lists the packages of org visible to the caller; ecosystem and
// name filter when non-empty (name matches exactly, by canonical name).
func (c *Client) Packages(ctx context.Context, org, ecosystem, name string) ([]Package, error) {
	q := url.Values{}
	if ecosystem != "" {
		q.Set("ecosystem", ecosystem)
	}
	if name != "" {
		q.Set("name", name)
	}
	path := "/api/v1/orgs/" + esc(org) + "/packages"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []Package
	return out, c.Do(ctx, http.MethodGet, path, nil, &out)
}

// Package returns the details of one package.
func (c *Client) Package(ctx context.Context, eco, org, name string) (Package, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, "/api/v1/packages/"+esc(eco)+"/"+esc(org)+"/"+esc(name), nil, &raw); err != nil {
		return Package{}, err
	}
	var doc struct {
		Drok json.RawMessage `json:"drok"`
	}
	if err := json.Unmarshal(raw, &doc); err == nil && len(doc.Drok) > 0 {
		raw = doc.Drok // npm: the packument carries the details under "drok"
	}
	var out Package
	if err := json.Unmarshal(raw, &out); err != nil {
		return Package{}, fmt.Errorf("decode package details: %w", err)
	}
	return out, nil
}

// DeleteVersion deletes one version, leaving a tombstone.
func (c *Client) DeleteVersion(ctx context.Context, eco, org, name, version string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/packages/"+esc(eco)+"/"+esc(org)+"/"+esc(name)+"/"+esc(version), nil, nil)
}

// Yank yanks (in.Yank) or unyanks a version.
func (c *Client) Yank(ctx context.Context, eco, org string, in YankRequest) (Version, error) {
	var out Version
	return out, c.Do(ctx, http.MethodPost, "/api/v1/orgs/"+esc(org)+"/packages/"+esc(eco)+"/yank", in, &out)
}

// Link links a package to a repository (empty repo unlinks).
func (c *Client) Link(ctx context.Context, eco, org string, in LinkRequest) (Package, error) {
	var out Package
	return out, c.Do(ctx, http.MethodPost, "/api/v1/orgs/"+esc(org)+"/packages/"+esc(eco)+"/link", in, &out)
}

// Publish uploads an artifact file; the server picks the ecosystem from
// eco (or, when empty, from the file name) and reads the metadata from the
// archive itself.
func (c *Client) Publish(ctx context.Context, org, eco, filename string, body io.Reader) (Published, error) {
	q := url.Values{"filename": {filename}}
	if eco != "" {
		q.Set("ecosystem", eco)
	}
	var out Published
	return out, c.Do(ctx, http.MethodPost, "/api/v1/orgs/"+esc(org)+"/publish?"+q.Encode(), body, &out)
}

// GC runs garbage collection on the server (site admins).
func (c *Client) GC(ctx context.Context, in GCRequest) (GCResult, error) {
	var out GCResult
	return out, c.Do(ctx, http.MethodPost, "/api/v1/admin/gc", in, &out)
}

// hooksPath is the webhook collection of org (repo "") or of org/repo.
func hooksPath(org, repo string) string {
	if repo == "" {
		return "/api/v1/orgs/" + esc(org) + "/hooks"
	}
	return "/api/v1/repos/" + esc(org) + "/" + esc(repo) + "/hooks"
}

// CreateHook creates a webhook on org (repo "") or on repository
// org/repo. The answer carries the signing secret, shown only here.
func (c *Client) CreateHook(ctx context.Context, org, repo string, in CreateHook) (Hook, error) {
	var out Hook
	return out, c.Do(ctx, http.MethodPost, hooksPath(org, repo), in, &out)
}

// Hooks lists the webhooks of org (repo "") or of repository org/repo.
func (c *Client) Hooks(ctx context.Context, org, repo string) ([]Hook, error) {
	var out []Hook
	return out, c.Do(ctx, http.MethodGet, hooksPath(org, repo), nil, &out)
}

// Hook returns one webhook.
func (c *Client) Hook(ctx context.Context, org, repo, id string) (Hook, error) {
	var out Hook
	return out, c.Do(ctx, http.MethodGet, hooksPath(org, repo)+"/"+esc(id), nil, &out)
}

// DeleteHook deletes a webhook with its delivery log.
func (c *Client) DeleteHook(ctx context.Context, org, repo, id string) error {
	return c.Do(ctx, http.MethodDelete, hooksPath(org, repo)+"/"+esc(id), nil, nil)
}

// HookDeliveries returns the delivery log of a webhook, newest first.
func (c *Client) HookDeliveries(ctx context.Context, org, repo, id string) ([]Delivery, error) {
	var out []Delivery
	return out, c.Do(ctx, http.MethodGet, hooksPath(org, repo)+"/"+esc(id)+"/deliveries", nil, &out)
}

// Redeliver queues a delivery again (same delivery id).
func (c *Client) Redeliver(ctx context.Context, org, repo, id, delivery string) (Delivery, error) {
	var out Delivery
	return out, c.Do(ctx, http.MethodPost, hooksPath(org, repo)+"/"+esc(id)+"/deliveries/"+esc(delivery)+"/redeliver", nil, &out)
}

// PingHook queues a "ping" delivery to a webhook.
func (c *Client) PingHook(ctx context.Context, org, repo, id string) (Delivery, error) {
	var out Delivery
	return out, c.Do(ctx, http.MethodPost, hooksPath(org, repo)+"/"+esc(id)+"/ping", nil, &out)
}
