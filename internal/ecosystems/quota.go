package ecosystems

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/drok-dev/drok/internal/store"
)

// Plan is a named pair of limits. A limit of 0 means unlimited.
type Plan struct {
	Name      string `json:"name"`
	Storage   int64  `json:"storage_limit"`
	Bandwidth int64  `json:"bandwidth_limit"`
}

// Plans are the plans an organisation can be on, smallest first.
// Enterprise takes custom limits (OrgSettings.StorageLimit and
// BandwidthLimit); without them it is unlimited.
var Plans = []Plan{
	{Name: "free", Storage: 500 * humanize.MByte, Bandwidth: 5 * humanize.GByte},
	{Name: "pro", Storage: 10 * humanize.GByte, Bandwidth: 100 * humanize.GByte},
	{Name: "organization", Storage: 50 * humanize.GByte, Bandwidth: 500 * humanize.GByte},
	{Name: "enterprise"},
}

// PlanEnterprise is the plan that takes custom limits.
const PlanEnterprise = "enterprise"

// LookupPlan returns the plan called name.
func LookupPlan(name string) (Plan, bool) {
	for _, p := range Plans {
		if p.Name == name {
			return p, true
		}
	}
	return Plan{}, false
}

// PlanNames lists the known plan names.
func PlanNames() []string {
	out := make([]string, len(Plans))
	for i, p := range Plans {
		out[i] = p.Name
	}
	return out
}

// Limits returns the effective plan of settings s, with custom limits
// applied; defaultPlan is used when the org has none.
func Limits(s store.OrgSettings, defaultPlan string) Plan {
	name := s.Plan
	if name == "" {
		name = defaultPlan
	}
	p, ok := LookupPlan(name)
	if !ok {
		p = Plans[0]
	}
	if s.StorageLimit > 0 {
		p.Storage = s.StorageLimit
	}
	if s.BandwidthLimit > 0 {
		p.Bandwidth = s.BandwidthLimit
	}
	return p
}

// Usage is an organisation's consumption, kept in the index's aux area
// and changed in the same transaction as the versions it counts.
type Usage struct {
	// Storage is the bytes of all files of all live versions the org owns.
	Storage int64 `json:"storage"`
	// Bandwidth maps a calendar month (UTC, "2006-01") to bytes served.
	Bandwidth map[string]int64 `json:"bandwidth,omitempty"`
}

const usageNS = "usage"

// Month returns the bandwidth month of t.
func Month(t time.Time) string { return t.UTC().Format("2006-01") }

// MonthReset returns when the bandwidth month of t ends.
func MonthReset(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
}

// LoadUsage reads org's usage in tx (zero when none is recorded).
func LoadUsage(tx store.Tx, org string) (Usage, error) {
	var u Usage
	aux, ok := store.AuxOf(tx)
	if !ok {
		return u, nil
	}
	raw, err := aux.AuxGet(usageNS, org)
	if errors.Is(err, store.ErrNotFound) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, fmt.Errorf("usage of %s: %w", org, err)
	}
	return u, nil
}

// SaveUsage writes org's usage in tx, keeping only the last 13 months of
// bandwidth.
func SaveUsage(tx store.Tx, org string, u Usage) error {
	aux, ok := store.AuxOf(tx)
	if !ok {
		return nil
	}
	if len(u.Bandwidth) > 13 {
		oldest := Month(time.Now().AddDate(0, -12, 0))
		for m := range u.Bandwidth {
			if m < oldest {
				delete(u.Bandwidth, m)
			}
		}
	}
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return aux.AuxPut(usageNS, org, raw)
}

// liveSize is the storage v counts: nothing once deleted.
func liveSize(v store.Version) int64 {
	if v.Version == "" || v.IsDeleted() {
		return 0
	}
	return v.Size()
}

// QuotaError is a publish refused by the storage limit. It wraps
// store.ErrQuota (HTTP 413).
type QuotaError struct {
	Org   string
	Plan  string
	Limit int64
	Used  int64
	Adds  int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("storage limit exceeded: organisation %s uses %s of its %s storage limit (plan %s) and this publish adds %s; "+
		"delete unused versions or ask a server administrator to raise the limit (drok org edit %s --plan %s)",
		e.Org, humanize.Bytes(uint64(e.Used)), humanize.Bytes(uint64(e.Limit)), e.Plan, humanize.Bytes(uint64(e.Adds)), e.Org, nextPlan(e.Plan, "--storage-limit"))
}

// Unwrap makes errors.Is(err, store.ErrQuota) hold.
func (e *QuotaError) Unwrap() error { return store.ErrQuota }

// nextPlan suggests how to raise a limit: the next plan, or a custom
// limit (flag) on enterprise.
func nextPlan(name, flag string) string {
	for i, p := range Plans {
		if p.Name == name && i+1 < len(Plans) {
			return Plans[i+1].Name
		}
	}
	return PlanEnterprise + " " + flag + " SIZE"
}

// ErrBandwidth reports a download refused by the monthly bandwidth limit
// (HTTP 429).
var ErrBandwidth = errors.New("bandwidth limit exceeded")

// BandwidthError is a download refused by the monthly bandwidth limit.
type BandwidthError struct {
	Org   string
	Plan  string
	Limit int64
	Used  int64
	Reset time.Time
	// Brief leaves out the plan and usage (for callers outside the org).
	Brief bool
}

func (e *BandwidthError) Error() string {
	if e.Brief {
		return fmt.Sprintf("monthly bandwidth limit exceeded: organisation %s has used its bandwidth for this month; downloads resume on %s",
			e.Org, e.Reset.Format(time.RFC3339))
	}
	return fmt.Sprintf("monthly bandwidth limit exceeded: organisation %s has used %s of its %s bandwidth limit (plan %s) this month; "+
		"downloads resume on %s or when a server administrator raises the limit (drok org edit %s --plan %s)",
		e.Org, humanize.Bytes(uint64(e.Used)), humanize.Bytes(uint64(e.Limit)), e.Plan, e.Reset.Format(time.RFC3339), e.Org, nextPlan(e.Plan, "--bandwidth-limit"))
}

// Unwrap makes errors.Is(err, ErrBandwidth) hold.
func (e *BandwidthError) Unwrap() error { return ErrBandwidth }

// SetRetryAfter sets Retry-After on w when err is a bandwidth refusal,
// so clients know when downloads resume.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var be *BandwidthError
	if errors.As(err, &be) {
		secs := int(time.Until(be.Reset).Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
}

// chargeStorage applies delta bytes to org's storage inside tx, refusing
// growth beyond the plan's limit. Shrinking always succeeds.
func (p *Pipeline) chargeStorage(tx store.Tx, org string, delta int64) error {
	if delta == 0 {
		return nil
	}
	u, err := p.storageRoom(tx, org, delta)
	if err != nil {
		return err
	}
	u.Storage = max(u.Storage+delta, 0)
	return SaveUsage(tx, org, u)
}

// storageRoom loads org's usage and refuses n more bytes (n > 0) that
// would take storage over the plan's limit.
func (p *Pipeline) storageRoom(tx store.Tx, org string, n int64) (Usage, error) {
	u, err := LoadUsage(tx, org)
	if err != nil || n <= 0 {
		return u, err
	}
	o, err := tx.Org(org)
	if err != nil {
		return u, err
	}
	lim := Limits(o.Settings, p.DefaultPlan)
	if lim.Storage > 0 && u.Storage+n > lim.Storage {
		return u, &QuotaError{Org: org, Plan: lim.Name, Limit: lim.Storage, Used: u.Storage, Adds: n}
	}
	return u, nil
}

// putVersion stores v (replacing old, the previous record or a zero
// Version) and charges the storage difference to the org.
func (p *Pipeline) putVersion(tx store.Tx, old, v store.Version) error {
	if err := p.chargeStorage(tx, v.Org, liveSize(v)-liveSize(old)); err != nil {
		return err
	}
	return tx.PutVersion(v)
}

// CheckStorage refuses early (before a body is received) a publish of
// about n bytes that cannot fit the org's storage limit. The commit
// checks again, so this is only an optimisation for large uploads.
func (p *Pipeline) CheckStorage(tx store.Tx, org string, n int64) error {
	_, err := p.storageRoom(tx, org, n)
	return err
}

// Recount computes the storage of every org from its live versions.
func Recount(tx store.Tx) (map[string]int64, error) {
	orgs, err := tx.OrgList()
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(orgs))
	for _, o := range orgs {
		out[o.Name] = 0
		pkgs, err := tx.PackageList(store.PackageFilter{Org: o.Name})
		if err != nil {
			return nil, err
		}
		for _, pkg := range pkgs {
			vs, err := tx.Versions(pkg.PackageKey)
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				out[o.Name] += liveSize(v)
			}
		}
	}
	return out, nil
}
