package client

import (
	"context"
	"net/http"
	"net/url"
)

// Check compares every organisation's storage counter with a recount;
// repair rewrites counters that differ (site admins).
func (c *Client) Check(ctx context.Context, repair bool) ([]CheckReport, error) {
	var out []CheckReport
	path := "/api/v1/admin/check"
	if repair {
		path += "?repair=true"
	}
	return out, c.Do(ctx, http.MethodPost, path, nil, &out)
}

// ImportAdvisories stores OSV records and removes the named ids (site
// admins).
func (c *Client) ImportAdvisories(ctx context.Context, in AdvisoryImport) (AdvisoryImportResult, error) {
	var out AdvisoryImportResult
	return out, c.Do(ctx, http.MethodPost, "/api/v1/advisories", in, &out)
}

// Advisories lists stored advisories, optionally only those naming a
// package of ecosystem eco called name.
func (c *Client) Advisories(ctx context.Context, eco, name string) ([]Advisory, error) {
	var out []Advisory
	q := url.Values{}
	if eco != "" {
		q.Set("ecosystem", eco)
	}
	if name != "" {
		q.Set("package", name)
	}
	path := "/api/v1/advisories"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return out, c.Do(ctx, http.MethodGet, path, nil, &out)
}

// Advisory returns one stored OSV record.
func (c *Client) Advisory(ctx context.Context, id string) (map[string]any, error) {
	var out map[string]any
	return out, c.Do(ctx, http.MethodGet, "/api/v1/advisories/"+esc(id), nil, &out)
}

// Audit lists the flagged versions of org's packages (optionally of one
// ecosystem, one package).
func (c *Client) Audit(ctx context.Context, org, eco, name string) ([]AuditEntry, error) {
	var out []AuditEntry
	q := url.Values{}
	if eco != "" {
		q.Set("ecosystem", eco)
	}
	if name != "" {
		q.Set("name", name)
	}
	path := "/api/v1/orgs/" + esc(org) + "/audit"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return out, c.Do(ctx, http.MethodGet, path, nil, &out)
}
