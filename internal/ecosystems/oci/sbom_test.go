package oci

import (
	"slices"
	"testing"
)

func TestParseSBOM(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
		err       bool
	}{
		{"spdx", `{"spdxVersion":"SPDX-2.3","packages":[{"externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/b@1"},
			{"referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:x"}]},{"externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]},
			{"externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}]}`, []string{"pkg:npm/a@1", "pkg:npm/b@1"}, false},
		{"cyclonedx nested", `{"bomFormat":"CycloneDX","components":[{"purl":"pkg:pypi/x@2","components":[{"purl":"pkg:cargo/y@3"}]},{"name":"nopurl"}]}`,
			[]string{"pkg:cargo/y@3", "pkg:pypi/x@2"}, false},
		{"empty", `{}`, nil, false},
		{"not json", `hello`, nil, true},
	} {
		got, err := parseSBOM([]byte(tc.doc))
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("%s: parseSBOM = %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.err)
		}
	}
	if !isSBOMType("application/spdx+json") || !isSBOMType("application/vnd.cyclonedx+json; version=1.5") || isSBOMType("application/json") {
		t.Error("isSBOMType")
	}
}
