//go:build linux

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems/cargo"
)

// TestCrateIsAcceptable: the publish bodies the benchmark generates pass
// drok's own checks (framing, metadata, archive, Cargo.toml agreement),
// so a run never fails on its fixtures.
func TestCrateIsAcceptable(t *testing.T) {
	for _, c := range []struct{ name, version string }{{benchName, "1.499.0"}, {"filler-00001", "1.0.0"}} {
		body, err := crate(c.name, c.version)
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(body)
		nc, n, err := cargo.ReadPublishHeader(r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if int64(r.Len()) != n {
			t.Fatalf("%s: crate length %d, %d bytes follow", c.name, n, r.Len())
		}
		info, err := cargo.InspectCrate(r, cargo.DefaultCrateLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m, err := cargo.ParseManifest(info.CargoToml)
		if err != nil {
			t.Fatal(err)
		}
		if err := cargo.CheckAgreement(nc, m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.name == benchName && (len(nc.Deps) != 2 || !strings.Contains(strings.Join(nc.Features["fast"], ","), "dep:")) {
			t.Errorf("bench crate lacks its dependencies or features: %+v", nc)
		}
	}
}
