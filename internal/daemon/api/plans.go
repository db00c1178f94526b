package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/advisory"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// validSettings checks an org settings edit before any transaction.
func validSettings(in client.OrgSettings) error {
	if in.Plan != "" {
		if _, ok := ecosystems.LookupPlan(in.Plan); !ok {
			return fmt.Errorf("%w: unknown plan %q (known: %s)", store.ErrInvalid, in.Plan, strings.Join(ecosystems.PlanNames(), ", "))
		}
	}
	if in.MaxSnapshots != nil && (*in.MaxSnapshots < 0 || *in.MaxSnapshots > 100000) {
		return fmt.Errorf("%w: max_snapshots must be between 0 (keep all) and 100000", store.ErrInvalid)
	}
	for name, v := range map[string]*int64{"storage_limit": in.StorageLimit, "bandwidth_limit": in.BandwidthLimit} {
		if v != nil && *v < 0 {
			return fmt.Errorf("%w: %s must not be negative", store.ErrInvalid, name)
		}
	}
	if in.BlockSeverity != nil && *in.BlockSeverity != "" && advisory.SeverityRank(*in.BlockSeverity) < 1 {
		return fmt.Errorf("%w: block severity %q must be low, moderate, high or critical (or empty for any)", store.ErrInvalid, *in.BlockSeverity)
	}
	return nil
}

// changesPlan reports whether in touches the plan or its limits, which
// only server administrators may change.
func changesPlan(in client.OrgSettings) bool {
	return in.Plan != "" || in.StorageLimit != nil || in.BandwidthLimit != nil || in.BandwidthWarnOnly != nil
}

// applySettings changes o by in. Custom limits need the enterprise plan;
// leaving enterprise drops them. A change of the vulnerability policy
// moves every package's revision so protocol metadata that marks blocked
// versions is rendered again.
func applySettings(tx store.Tx, o *store.Org, in client.OrgSettings, defaultPlan string) error {
	s := &o.Settings
	if in.Plan != "" {
		s.Plan = in.Plan
	}
	if in.ImmutableTags != nil {
		s.ImmutableTags = *in.ImmutableTags
	}
	if in.MaxSnapshots != nil {
		s.MaxSnapshots = *in.MaxSnapshots
	}
	plan := s.Plan
	if plan == "" {
		plan = defaultPlan
	}
	if in.StorageLimit != nil || in.BandwidthLimit != nil {
		if plan != ecosystems.PlanEnterprise && ((in.StorageLimit != nil && *in.StorageLimit > 0) || (in.BandwidthLimit != nil && *in.BandwidthLimit > 0)) {
			return fmt.Errorf("%w: custom limits need the %s plan (organisation %s is on %s); pass --plan %s as well",
				store.ErrInvalid, ecosystems.PlanEnterprise, o.Name, plan, ecosystems.PlanEnterprise)
		}
		if in.StorageLimit != nil {
			s.StorageLimit = *in.StorageLimit
		}
		if in.BandwidthLimit != nil {
			s.BandwidthLimit = *in.BandwidthLimit
		}
	}
	if plan != ecosystems.PlanEnterprise {
		s.StorageLimit, s.BandwidthLimit = 0, 0
	}
	if in.BandwidthWarnOnly != nil {
		s.BandwidthWarnOnly = *in.BandwidthWarnOnly
	}
	policy := [2]any{s.BlockVulnerable, s.BlockSeverity}
	if in.BlockVulnerable != nil {
		s.BlockVulnerable = *in.BlockVulnerable
	}
	if in.BlockSeverity != nil {
		s.BlockSeverity = strings.ToLower(*in.BlockSeverity)
		if s.BlockSeverity == "medium" {
			s.BlockSeverity = advisory.SeverityModerate
		}
	}
	if policy != [2]any{s.BlockVulnerable, s.BlockSeverity} {
		return ecosystems.BumpOrg(tx, o.Name)
	}
	return nil
}

func settingsOut(s store.OrgSettings) client.OrgSettings {
	out := client.OrgSettings{Plan: s.Plan}
	if s.ImmutableTags {
		out.ImmutableTags = &s.ImmutableTags
	}
	if n := s.MaxSnapshots; n > 0 {
		out.MaxSnapshots = &n
	}
	if s.StorageLimit > 0 {
		out.StorageLimit = &s.StorageLimit
	}
	if s.BandwidthLimit > 0 {
		out.BandwidthLimit = &s.BandwidthLimit
	}
	if s.BandwidthWarnOnly {
		out.BandwidthWarnOnly = &s.BandwidthWarnOnly
	}
	if s.BlockVulnerable {
		out.BlockVulnerable = &s.BlockVulnerable
		sev := s.BlockSeverity
		out.BlockSeverity = &sev
	}
	return out
}

// usage reports o's consumption against its effective limits.
func (a *API) usage(tx store.Tx, o store.Org) (client.OrgUsage, error) {
	u, err := a.Pipeline.OrgUsage(tx, o.Name)
	if err != nil {
		return client.OrgUsage{}, err
	}
	lim := ecosystems.Limits(o.Settings, a.Pipeline.DefaultPlan)
	now := time.Now()
	m := ecosystems.Month(now)
	return client.OrgUsage{Plan: lim.Name, StorageUsed: u.Storage, StorageLimit: lim.Storage,
		BandwidthUsed: max(u.Bandwidth[m], 0), BandwidthLimit: lim.Bandwidth, Month: m, Reset: ecosystems.MonthReset(now)}, nil
}

// check is POST /api/v1/admin/check[?repair=true]: every org's storage
// counter against a recount of its live versions (site admins).
func (a *API) check(w http.ResponseWriter, r *http.Request) {
	if _, err := a.siteAdmin(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	repair := r.URL.Query().Get("repair") == "true"
	var out []client.CheckReport
	run := a.index().View
	if repair {
		run = a.index().Update
	}
	err := run(r.Context(), func(tx store.Tx) error {
		out = nil
		counted, err := ecosystems.Recount(tx)
		if err != nil {
			return err
		}
		for org, n := range counted {
			u, err := ecosystems.LoadUsage(tx, org)
			if err != nil {
				return err
			}
			rep := client.CheckReport{Org: org, Recorded: u.Storage, Counted: n, OK: u.Storage == n}
			if !rep.OK && repair {
				u.Storage = n
				if err := ecosystems.SaveUsage(tx, org, u); err != nil {
					return err
				}
				rep.Repaired = true
			}
			out = append(out, rep)
		}
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	slices.SortFunc(out, func(x, y client.CheckReport) int { return strings.Compare(x.Org, y.Org) })
	WriteJSON(w, http.StatusOK, out)
}
