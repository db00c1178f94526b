package oci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
	if !strings.Contains(report, "OCI Conformance Test: Pass") {
		t.Fatalf("conformance suite did not report an overall pass:\n%s", report)
	}
	if bad := regexp.MustCompile(`(?m)^\s*OCI Conformance Test/.*: (Fail|Error|Skip)\b.*$`).FindAllString(report, -1); len(bad) > 0 {
		t.Fatalf("conformance checks failed or skipped:\n%s\n\n%s", strings.Join(bad, "\n"), report)
	}
	t.Logf("conformance:\n%s", report)
}
