package ecosystems_test

import (
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems"
)

func TestParsePurl(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ecosystems.Purl
		ok   bool
	}{
		{"pkg:npm/left-pad@1.0.0", ecosystems.Purl{Ecosystem: "npm", Name: "left-pad", Version: "1.0.0"}, true},
		{"pkg:npm/%40babel/core@7.0.0", ecosystems.Purl{Ecosystem: "npm", Name: "@babel/core", Version: "7.0.0"}, true},
		{"pkg:npm/babel/core@7.0.0?x=y#sub", ecosystems.Purl{Ecosystem: "npm", Name: "@babel/core", Version: "7.0.0"}, true},
		{"pkg:pypi/Django@4.2.1", ecosystems.Purl{Ecosystem: "pypi", Name: "Django", Version: "4.2.1"}, true},
		{"pkg:cargo/serde@1.0.0", ecosystems.Purl{Ecosystem: "cargo", Name: "serde", Version: "1.0.0"}, true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", ecosystems.Purl{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}, true},
		{"pkg:nuget/Newtonsoft.Json@12.0.1", ecosystems.Purl{Ecosystem: "nuget", Name: "Newtonsoft.Json", Version: "12.0.1"}, true},
		{"pkg:maven/log4j-core@2.14.1", ecosystems.Purl{}, false},
		{"pkg:npm/left-pad", ecosystems.Purl{}, false},
		{"pkg:deb/debian/curl@7.0", ecosystems.Purl{}, false},
		{"npm/left-pad@1.0.0", ecosystems.Purl{}, false},
		{"pkg:npm/a/b/c@1", ecosystems.Purl{}, false},
	} {
		got, ok := ecosystems.ParsePurl(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParsePurl(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
