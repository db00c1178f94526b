package oci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

const conformanceInstall = "go install github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"

// TestOCIConformance runs the official distribution-spec conformance
// suite (every category: pull, push, content discovery, content
// management, sha512, referrers, ...) against the daemon and requires
// zero failures.
func TestOCIConformance(t *testing.T) {
	bin := tool(t, "conformance", conformanceInstall)
	f := newFixture(t)
	results := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = results
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+f.host, "OCI_TLS=disabled",
		"OCI_REPO1=acme/repo1", "OCI_REPO2=acme/repo2",
		"OCI_USERNAME=conformance", "OCI_PASSWORD="+f.srv.AdminToken,
		"OCI_RESULTS_DIR="+results,
		// "dev" turns on every optional API test on top of 1.1: upload
		// cancel, required digest headers, tags as push parameters.
		"OCI_VERSION=dev",
	)
	out, err := cmd.CombinedOutput()
	report := string(out)
	if err != nil {
		if b, rerr := os.ReadFile(filepath.Join(results, "results.yaml")); rerr == nil {
			report += "\nresults.yaml:\n" + string(b)
		}
		t.Fatalf("conformance suite failed: %v\n%s", err, report)
	}
	if !regexp.MustCompile(`(?i)pass`).MatchString(report) {
		t.Fatalf("conformance suite printed no result:\n%s", report)
	}
	t.Logf("conformance:\n%s", report)
}
