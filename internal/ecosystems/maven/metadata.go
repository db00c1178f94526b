package maven

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// Maven metadata time formats.
const (
	lastUpdatedLayout = "20060102150405"
	timestampLayout   = "20060102.150405"
)

func xmlText(b *bytes.Buffer, tag, text string) {
	b.WriteString("<" + tag + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + tag + ">\n")
}

// SortVersions orders versions by Maven's rules, lowest first.
func SortVersions(vs []string) {
	slices.SortStableFunc(vs, CompareVersions)
}

// RenderArtifactMetadata renders the artifact-level maven-metadata.xml:
// every given version in Maven order, <latest> the highest, <release> the
// highest that is not a SNAPSHOT.
func RenderArtifactMetadata(group, artifact string, versions []string, updated time.Time) []byte {
	vs := slices.Clone(versions)
	SortVersions(vs)
	var b bytes.Buffer
	b.WriteString(xml.Header[:len(xml.Header)-1] + "\n<metadata>\n")
	xmlText(&b, "groupId", group)
	xmlText(&b, "artifactId", artifact)
	b.WriteString("<versioning>\n")
	if len(vs) > 0 {
		xmlText(&b, "latest", vs[len(vs)-1])
		for i := len(vs) - 1; i >= 0; i-- {
			if !IsSnapshot(vs[i]) {
				xmlText(&b, "release", vs[i])
				break
			}
		}
		b.WriteString("<versions>\n")
		for _, v := range vs {
			xmlText(&b, "version", v)
		}
		b.WriteString("</versions>\n")
	}
	xmlText(&b, "lastUpdated", updated.UTC().Format(lastUpdatedLayout))
	b.WriteString("</versioning>\n</metadata>\n")
	return b.Bytes()
}

// Build is one timestamped SNAPSHOT build.
type Build struct {
	Timestamp string // 20240101.120000
	Number    int
}

func (b Build) less(o Build) bool {
	if b.Timestamp != o.Timestamp {
		return b.Timestamp < o.Timestamp
	}
	return b.Number < o.Number
}

// fileBuild parses a stored file name of a SNAPSHOT version.
func fileBuild(artifact, version, name string) (FileName, bool) {
	if _, algo := checksumOf(name); algo != "" {
		return FileName{}, false
	}
	fn, err := ParseFileName(artifact, version, name)
	return fn, err == nil
}

// Builds returns the distinct timestamped builds among files, oldest first.
func Builds(artifact, version string, files []store.File) []Build {
	var out []Build
	for _, f := range files {
		fn, ok := fileBuild(artifact, version, f.Name)
		if !ok || fn.Timestamp == "" {
			continue
		}
		b := Build{fn.Timestamp, fn.Build}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Build) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	return out
}

// KeepBuilds returns files without those of all but the newest max
// timestamped builds (max <= 0 keeps everything). Files named with the
// literal SNAPSHOT version are always kept.
func KeepBuilds(artifact, version string, files []store.File, max int) []store.File {
	builds := Builds(artifact, version, files)
	if max <= 0 || len(builds) <= max {
		return files
	}
	drop := builds[:len(builds)-max]
	return slices.DeleteFunc(slices.Clone(files), func(f store.File) bool {
		fn, ok := fileBuild(artifact, version, f.Name)
		return ok && fn.Timestamp != "" && slices.Contains(drop, Build{fn.Timestamp, fn.Build})
	})
}

// NewestBuildFile maps a literal SNAPSHOT file name
// (artifact-1.0-SNAPSHOT[-classifier].ext) to the newest timestamped build
// of the same classifier and extension among files.
func NewestBuildFile(artifact, version, name string, files []store.File) (store.File, bool) {
	want, err := ParseFileName(artifact, version, name)
	if err != nil || want.Timestamp != "" {
		return store.File{}, false
	}
	var best store.File
	var bestBuild Build
	found := false
	for _, f := range files {
		fn, ok := fileBuild(artifact, version, f.Name)
		if !ok || fn.Timestamp == "" || fn.Classifier != want.Classifier || fn.Extension != want.Extension {
			continue
		}
		b := Build{fn.Timestamp, fn.Build}
		if !found || bestBuild.less(b) {
			best, bestBuild, found = f, b, true
		}
	}
	return best, found
}

// RenderSnapshotMetadata renders the version-level maven-metadata.xml of
// a SNAPSHOT version: the newest build as <snapshot> and, for every
// classifier and extension, the newest build that has it.
func RenderSnapshotMetadata(group, artifact, version string, files []store.File, updated time.Time) []byte {
	type key struct{ classifier, ext string }
	type entry struct {
		key
		build   Build
		value   string
		updated string
	}
	var entries []entry
	var newest Build
	for _, f := range files {
		fn, ok := fileBuild(artifact, version, f.Name)
		if !ok {
			continue
		}
		b := Build{fn.Timestamp, fn.Build}
		up := f.Uploaded.UTC().Format(lastUpdatedLayout)
		if fn.Timestamp != "" {
			if newest.less(b) {
				newest = b
			}
			if t, err := time.Parse(timestampLayout, fn.Timestamp); err == nil {
				up = t.Format(lastUpdatedLayout)
			}
		}
		k := key{fn.Classifier, fn.Extension}
		e := entry{key: k, build: b, value: fn.Value(version), updated: up}
		i := slices.IndexFunc(entries, func(x entry) bool { return x.key == k })
		switch {
		case i < 0:
			entries = append(entries, e)
		case fn.Timestamp != "" && (entries[i].build.Timestamp == "" || entries[i].build.less(b)):
			entries[i] = e
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := strings.Compare(a.ext, b.ext); c != 0 {
			return c
		}
		return strings.Compare(a.classifier, b.classifier)
	})
	var b bytes.Buffer
	b.WriteString(xml.Header[:len(xml.Header)-1] + "\n<metadata modelVersion=\"1.1.0\">\n")
	xmlText(&b, "groupId", group)
	xmlText(&b, "artifactId", artifact)
	xmlText(&b, "version", version)
	b.WriteString("<versioning>\n<snapshot>\n")
	if newest.Timestamp != "" {
		xmlText(&b, "timestamp", newest.Timestamp)
		xmlText(&b, "buildNumber", strconv.Itoa(newest.Number))
	} else {
		b.WriteString("<localCopy>true</localCopy>\n")
	}
	b.WriteString("</snapshot>\n")
	xmlText(&b, "lastUpdated", updated.UTC().Format(lastUpdatedLayout))
	if len(entries) > 0 {
		b.WriteString("<snapshotVersions>\n")
		for _, e := range entries {
			b.WriteString("<snapshotVersion>\n")
			if e.classifier != "" {
				xmlText(&b, "classifier", e.classifier)
			}
			xmlText(&b, "extension", e.ext)
			xmlText(&b, "value", e.value)
			xmlText(&b, "updated", e.updated)
			b.WriteString("</snapshotVersion>\n")
		}
		b.WriteString("</snapshotVersions>\n")
	}
	b.WriteString("</versioning>\n</metadata>\n")
	return b.Bytes()
}
