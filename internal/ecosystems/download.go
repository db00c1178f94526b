package ecosystems

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// ErrorWriter is implemented by ecosystems that render errors in their
// client's own format (npm JSON, OCI errcodes, plain text with hints).
// ServeFile uses it for refused downloads.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

type bandwidthKey struct {
	org   string
	month string
}

// bwEntry is the authoritative in-memory total of one org's month: loaded
// from the index on first use, persisted (as an absolute value) by
// FlushDownloads. Only this process writes it, so the index never runs
// ahead of memory.
type bwEntry struct {
	total int64
	dirty bool
}

// Grant is an admitted download: its bytes are reserved against the
// org's monthly bandwidth until Done records what was really sent.
type Grant struct {
	p        *Pipeline
	key      bandwidthKey
	reserved int64
	// Warning is set when the org is over its bandwidth limit but only
	// warns; protocols may show it (ServeFile sends it as a Warning header).
	Warning string
}

// Done replaces the reservation with the bytes really sent.
func (g *Grant) Done(sent int64) {
	if g == nil || g.p == nil {
		return
	}
	g.p.mu.Lock()
	if e := g.p.bandwidth[g.key]; e != nil {
		e.total = max(e.total+sent-g.reserved, 0)
		e.dirty = true
	}
	g.p.mu.Unlock()
	g.p = nil
}

// AdmitDownload decides whether version of k may be downloaded now: a
// version flagged by advisories the org blocks is refused (*BlockedError,
// 403) and a download that would take the org over its monthly bandwidth
// limit is refused (*BandwidthError, 429) unless the org only warns. An
// admitted download reserves size bytes; call Grant.Done with the bytes
// really sent. Reservations make concurrent downloads unable to
// overshoot the limit together.
func (p *Pipeline) AdmitDownload(ctx context.Context, k store.PackageKey, version string, size int64) (*Grant, error) {
	pol, err := p.downloadPolicy(ctx, k, version)
	if err != nil {
		return nil, err
	}
	if len(pol.blocking) > 0 {
		return nil, &BlockedError{Name: k.Name, Version: version, Advisories: pol.blocking}
	}
	now := time.Now()
	g := &Grant{p: p, key: bandwidthKey{org: k.Org, month: Month(now)}, reserved: size}
	e, err := p.bandwidthEntry(ctx, g.key)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	used := e.total
	over := pol.limit > 0 && used+size > pol.limit
	if !over || pol.warnOnly {
		e.total += size
		e.dirty = true
	}
	p.mu.Unlock()
	if over {
		be := &BandwidthError{Org: k.Org, Plan: pol.plan, Limit: pol.limit, Used: used, Reset: MonthReset(now)}
		if !pol.warnOnly {
			be.Brief = !p.isMember(ctx, k.Org)
			return nil, be
		}
		g.Warning = be.Error()
	}
	return g, nil
}

// downloadPolicy is what AdmitDownload needs from the index for one
// version: cached until the next index write, so a download costs no
// index read (download counters are quiet writes and keep it).
type downloadPolicy struct {
	blocking []store.AdvisoryRef
	plan     string
	limit    int64
	warnOnly bool
}

type policyKey struct {
	k       store.PackageKey
	version string
}

func (p *Pipeline) downloadPolicy(ctx context.Context, k store.PackageKey, version string) (downloadPolicy, error) {
	pk := policyKey{k, version}
	if pol, ok := p.policies.Get(pk); ok {
		return pol, nil
	}
	gen := p.policies.Begin()
	var pol downloadPolicy
	err := p.Index.View(ctx, func(tx store.Tx) error {
		o, err := tx.Org(k.Org)
		if err != nil {
			return err
		}
		var v store.Version
		if version != "" {
			v, err = tx.Version(k, version)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		lim := Limits(o.Settings, p.DefaultPlan)
		pol = downloadPolicy{blocking: Blocking(o.Settings, v), plan: lim.Name, limit: lim.Bandwidth, warnOnly: o.Settings.BandwidthWarnOnly}
		return nil
	})
	if err != nil {
		return pol, err
	}
	p.policies.Put(pk, pol, gen)
	return pol, nil
}

// bandwidthEntry returns the in-memory month total of key, loading it
// from the index on first use.
func (p *Pipeline) bandwidthEntry(ctx context.Context, key bandwidthKey) (*bwEntry, error) {
	p.mu.Lock()
	e := p.bandwidth[key]
	p.mu.Unlock()
	if e != nil {
		return e, nil
	}
	var u Usage
	if err := p.Index.View(ctx, func(tx store.Tx) error {
		var err error
		u, err = LoadUsage(tx, key.org)
		return err
	}); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e = p.bandwidth[key]; e == nil {
		e = &bwEntry{total: u.Bandwidth[key.month]}
		p.bandwidth[key] = e
	}
	return e, nil
}

// isMember reports whether the request's caller may read the org itself
// (members, site admins): only they see its plan and usage in refusals.
func (p *Pipeline) isMember(ctx context.Context, org string) bool {
	pr, err := PrincipalFrom(ctx)
	if err != nil || pr.Anonymous() {
		return false
	}
	return p.Index.View(ctx, func(tx store.Tx) error { return AuthorizeOrg(tx, pr, Read, org) }) == nil
}

// WriteDownloadError renders a refused download with the ecosystem's
// ErrorWriter (plain text otherwise), with Retry-After for bandwidth
// refusals.
func (p *Pipeline) WriteDownloadError(w http.ResponseWriter, r *http.Request, eco string, err error) {
	SetRetryAfter(w, err)
	if ew, ok := p.Ecosystems[eco].(ErrorWriter); ok {
		ew.WriteError(w, r, err)
		return
	}
	status := HTTPStatus(err)
	if status == http.StatusInternalServerError {
		slog.Default().Error("download failed", "path", r.URL.Path, "err", err)
	}
	http.Error(w, PublicMessage(err), status)
}

// SetWarning adds the grant's warning (if any) as an HTTP Warning header.
func (g *Grant) SetWarning(w http.ResponseWriter) {
	if g != nil && g.Warning != "" {
		w.Header().Add("Warning", `199 drok "`+g.Warning+`"`)
	}
}

// ServeFile serves a stored file of version of k with Range, ETag and
// nosniff after AdmitDownload (vulnerability blocking, bandwidth), counts
// the download and meters the bytes sent against the org's bandwidth.
func (p *Pipeline) ServeFile(w http.ResponseWriter, r *http.Request, k store.PackageKey, version string, f store.File) {
	rc, info, err := p.Blobs.Open(f.SHA256)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, "file content unavailable", status)
		return
	}
	defer rc.Close()
	size := info.Size
	if r.Method == http.MethodHead {
		size = 0
	}
	g, err := p.AdmitDownload(r.Context(), k, version, size)
	if err != nil {
		p.WriteDownloadError(w, r, k.Ecosystem, err)
		return
	}
	h := w.Header()
	g.SetWarning(w)
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	if r.Method == http.MethodGet && r.Header.Get("Range") == "" {
		p.CountDownload(k, version)
	}
	mw := &MeteredWriter{ResponseWriter: w}
	defer func() { g.Done(mw.N) }() // also when ServeContent panics (aborted response)
	http.ServeContent(mw, r, "", info.ModTime, rc)
}

// MeteredWriter counts the body bytes written through it. It keeps
// sendfile(2) available to http.ServeContent (ReadFrom).
type MeteredWriter struct {
	http.ResponseWriter
	N int64
}

func (m *MeteredWriter) Write(b []byte) (int, error) {
	n, err := m.ResponseWriter.Write(b)
	m.N += int64(n)
	return n, err
}

// ReadFrom copies r to the response, through the underlying writer's
// ReadFrom (sendfile) when it has one.
func (m *MeteredWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(m.ResponseWriter, r)
	m.N += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (m *MeteredWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// flushBandwidth writes the totals of the dirty bandwidth entries inside
// tx. They were marked clean by the caller; on failure it marks them
// dirty again.
func (p *Pipeline) flushBandwidth(tx store.Tx, totals map[bandwidthKey]int64) error {
	for bk, n := range totals {
		u, err := LoadUsage(tx, bk.org)
		if err != nil {
			return err
		}
		if u.Bandwidth == nil {
			u.Bandwidth = map[string]int64{}
		}
		u.Bandwidth[bk.month] = n
		if err := SaveUsage(tx, bk.org, u); err != nil {
			return err
		}
	}
	return nil
}

// takeDirtyBandwidth returns the totals to persist and marks them clean.
func (p *Pipeline) takeDirtyBandwidth() map[bandwidthKey]int64 {
	out := map[bandwidthKey]int64{}
	for k, e := range p.bandwidth {
		if e.dirty {
			out[k] = e.total
			e.dirty = false
		}
	}
	return out
}

// OrgUsage returns org's usage including bandwidth not yet flushed.
func (p *Pipeline) OrgUsage(tx store.Tx, org string) (Usage, error) {
	u, err := LoadUsage(tx, org)
	if err != nil {
		return u, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for bk, e := range p.bandwidth {
		if bk.org == org {
			if u.Bandwidth == nil {
				u.Bandwidth = map[string]int64{}
			}
			u.Bandwidth[bk.month] = e.total
		}
	}
	return u, nil
}
