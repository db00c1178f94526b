package daemontest

import (
	"context"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// SetLimits puts org on the enterprise plan with custom limits in bytes
// (0 keeps the plan's).
func (s *Server) SetLimits(t testing.TB, org string, storage, bandwidth int64) {
	t.Helper()
	in := client.OrgSettings{Plan: "enterprise"}
	if storage > 0 {
		in.StorageLimit = &storage
	}
	if bandwidth > 0 {
		in.BandwidthLimit = &bandwidth
	}
	if _, err := s.Client.EditOrg(context.Background(), org, in); err != nil {
		t.Fatalf("set limits of %s: %v", org, err)
	}
}

// Usage returns org's storage and bandwidth usage.
func (s *Server) Usage(t testing.TB, org string) client.OrgUsage {
	t.Helper()
	o, err := s.Client.Org(context.Background(), org)
	if err != nil || o.Usage == nil {
		t.Fatalf("usage of %s: %+v, %v", org, o.Usage, err)
	}
	return *o.Usage
}
