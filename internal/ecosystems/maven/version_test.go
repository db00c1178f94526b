package maven

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestComparableVersionGolden compares every pair of a list of versions
// (Maven's own ComparableVersionTest cases plus edge cases) with the
// answers of Maven 3.8.7's ComparableVersion, recorded in
// testdata/comparableversion.golden by testdata/ComparableVersionGolden.java.
func TestComparableVersionGolden(t *testing.T) {
	f, err := os.Open("testdata/comparableversion.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var versions []string
	for sc.Scan() {
		line := sc.Text()
		if line == "--" {
			break
		}
		v, canonical, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad golden line %q", line)
		}
		versions = append(versions, v)
		if got := ParseComparableVersion(v).Canonical(); got != canonical {
			t.Errorf("canonical(%q) = %q, Maven says %q", v, got, canonical)
		}
	}
	if len(versions) < 100 {
		t.Fatalf("only %d golden versions", len(versions))
	}
	row := 0
	for sc.Scan() {
		line := sc.Text()
		if len(line) != len(versions) {
			t.Fatalf("golden row %d has %d entries, want %d", row, len(line), len(versions))
		}
		for j, c := range line {
			want := map[rune]int{'<': -1, '=': 0, '>': 1}[c]
			if got := CompareVersions(versions[row], versions[j]); got != want {
				t.Errorf("compare(%q, %q) = %d, Maven says %c", versions[row], versions[j], got, c)
			}
		}
		row++
	}
	if row != len(versions) {
		t.Fatalf("golden matrix has %d rows, want %d", row, len(versions))
	}
}

// TestComparableVersionOrder is Maven's ComparableVersionTest (as of
// Maven 3.8, where ".X1" sorts like "-X1"): each list is strictly
// increasing.
func TestComparableVersionOrder(t *testing.T) {
	lists := [][]string{
		{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
			"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
			"1-1", "1-2", "1-123"},
		{"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1",
			"2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"},
		{"1.0-alpha-1", "1.0-beta-1", "1.0-SNAPSHOT", "1.0", "1.0-sp", "1.0-1", "1.0-2", "2.0-1", "2.0.1", "2.0.1-klm", "2.0.1-lmn", "2.0.1-xyz", "2.0.1-123"},
		{"1.0.0-rc1", "1.0.0.X1", "1.0.0-X2"},
		{"6.1.0rc3", "6.1.0", "6.1H.5-beta"},
		{"2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "123456789012345678901234567890"},
	}
	for _, l := range lists {
		for i := range l {
			for j := i + 1; j < len(l); j++ {
				if c := CompareVersions(l[i], l[j]); c >= 0 {
					t.Errorf("compare(%q, %q) = %d, want < 0", l[i], l[j], c)
				}
				if c := CompareVersions(l[j], l[i]); c <= 0 {
					t.Errorf("compare(%q, %q) = %d, want > 0", l[j], l[i], c)
				}
			}
		}
	}
	equal := [][2]string{
		{"1", "1.0.0"}, {"1", "1-0"}, {"1.0", "1.0-0"}, {"1a", "1-a"}, {"1a", "1.0.0-a"}, {"1.0.0x", "1.0.0.x"},
		{"1ga", "1"}, {"1final", "1"}, {"1cr", "1rc"}, {"1a1", "1alpha1"}, {"1b2", "1beta2"}, {"1m3", "1milestone3"},
		{"1X", "1x"}, {"1GA", "1"}, {"1FinaL", "1"}, {"1cR", "1rC"}, {"1m3", "1MileStone3"},
		{"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, {"1.0.0.RC1", "1.0.0-rc1"}, {"2.0.01", "2.0.1"}, {"2.0.a", "2.0.0.a"},
	}
	for _, e := range equal {
		if c := CompareVersions(e[0], e[1]); c != 0 {
			t.Errorf("compare(%q, %q) = %d, want 0", e[0], e[1], c)
		}
	}
}
