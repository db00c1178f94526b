package pypi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// Media types of the simple repository API (PEP 691).
const (
	typeJSON   = "application/vnd.pypi.simple.v1+json"
	typeHTMLv1 = "application/vnd.pypi.simple.v1+html"
	typeHTML   = "text/html"
)

// apiVersion is the simple API version served (PEP 700 adds versions,
// size and upload-time in 1.1).
const apiVersion = "1.1"

// Format is a negotiated response format.
type Format int

// Formats of the simple API.
const (
	FormatHTML Format = iota
	FormatHTMLv1
	FormatJSON
	numFormats
)

// ContentType returns the media type sent for f.
func (f Format) ContentType() string {
	switch f {
	case FormatJSON:
		return typeJSON
	case FormatHTMLv1:
		return typeHTMLv1
	}
	return typeHTML + "; charset=utf-8"
}

// Negotiate picks the response format for an Accept header (and the
// PEP 691 ?format= override). ok is false when nothing acceptable is
// served (406).
func Negotiate(accept, format string) (Format, bool) {
	if format != "" {
		accept = format
	}
	if strings.TrimSpace(accept) == "" {
		return FormatHTML, true
	}
	best, bestQ, found := FormatHTML, -1.0, false
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q <= 0 {
			continue
		}
		var f Format
		switch mt {
		case typeJSON, "application/vnd.pypi.simple.latest+json":
			f = FormatJSON
		case typeHTMLv1, "application/vnd.pypi.simple.latest+html":
			f = FormatHTMLv1
		case typeHTML, "text/*", "*/*", "application/*":
			f = FormatHTML
			if mt == "application/*" {
				f = FormatJSON
			}
		default:
			continue
		}
		// Prefer the first listed among equal q (pip lists JSON first).
		if q > bestQ {
			best, bestQ, found = f, q, true
		}
	}
	return best, found
}

// fileEntry is one file row of a project page.
type fileEntry struct {
	version  string
	file     store.File
	meta     fileMeta
	yanked   bool
	reason   string
	uploaded time.Time
}

// Project is the data of one project page.
type Project struct {
	// Name is the normalised name; Display the name as published.
	Name, Display string
	Versions      []string
	files         []fileEntry
}

// NewProject builds a project page from live versions, ordered by
// PEP 440 version, then filename. Versions the org's vulnerability policy
// (settings) blocks are marked yanked (PEP 592) with a reason naming the
// advisories, so pip picks another version for a range and warns when one
// is pinned (the download itself is refused).
func NewProject(pkg store.Package, versions []store.Version, settings store.OrgSettings) *Project {
	p := &Project{Name: pkg.Name, Display: pkg.DisplayName}
	if p.Display == "" {
		p.Display = pkg.Name
	}
	live := make([]store.Version, 0, len(versions))
	for _, v := range versions {
		if !v.IsDeleted() && len(v.Files) > 0 {
			live = append(live, v)
		}
	}
	slices.SortStableFunc(live, func(a, b store.Version) int { return CompareVersions(a.Version, b.Version) })
	for _, v := range live {
		p.Versions = append(p.Versions, v.Version)
		vm := decodeVersionMeta(v.Meta)
		yanked, reason := v.Yanked, v.YankReason
		if r := blockedReason(settings, p.Name, v); r != "" {
			yanked, reason = true, r
		}
		files := slices.Clone(v.Files)
		slices.SortFunc(files, func(a, b store.File) int { return strings.Compare(a.Name, b.Name) })
		for _, f := range files {
			fm, ok := vm.Files[f.Name]
			if !ok {
				fm.RequiresPython = vm.RequiresPython
			}
			p.files = append(p.files, fileEntry{version: v.Version, file: f, meta: fm, yanked: yanked, reason: reason, uploaded: f.Uploaded})
		}
	}
	return p
}

// fileURL is the file's URL relative to the project page
// (…/simple/{name}/ → …/files/{name}/{version}/{filename}).
func (p *Project) fileURL(e fileEntry) string {
	return "../../files/" + url.PathEscape(p.Name) + "/" + url.PathEscape(e.version) + "/" + url.PathEscape(e.file.Name)
}

// HTML renders the PEP 503 project page with PEP 592, 658 and 714
// attributes.
func (p *Project) HTML() []byte {
	var b bytes.Buffer
	b.Grow(256 + len(p.files)*320)
	name := html.EscapeString(p.Display)
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Links for ")
	b.WriteString(name)
	b.WriteString("</title>\n  </head>\n  <body>\n    <h1>Links for ")
	b.WriteString(name)
	b.WriteString("</h1>\n")
	for _, e := range p.files {
		b.WriteString(`    <a href="`)
		b.WriteString(html.EscapeString(p.fileURL(e)))
		b.WriteString("#sha256=")
		b.WriteString(e.file.SHA256)
		b.WriteByte('"')
		if e.meta.RequiresPython != "" {
			b.WriteString(` data-requires-python="`)
			b.WriteString(html.EscapeString(e.meta.RequiresPython))
			b.WriteByte('"')
		}
		if e.yanked {
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(e.reason))
			b.WriteByte('"')
		}
		if e.meta.MetadataSHA256 != "" {
			b.WriteString(` data-core-metadata="sha256=`)
			b.WriteString(e.meta.MetadataSHA256)
			b.WriteString(`" data-dist-info-metadata="sha256=`)
			b.WriteString(e.meta.MetadataSHA256)
			b.WriteByte('"')
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(e.file.Name))
		b.WriteString("</a><br />\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   *string           `json:"requires-python,omitempty"`
	CoreMetadata     any               `json:"core-metadata"`
	DistInfoMetadata any               `json:"dist-info-metadata"`
	Yanked           any               `json:"yanked"`
	Size             int64             `json:"size"`
	UploadTime       string            `json:"upload-time,omitempty"`
}

type jsonMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonProject struct {
	Meta     jsonMeta   `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

// uploadTimeFormat is the ISO 8601 form PEP 700 asks for.
const uploadTimeFormat = "2006-01-02T15:04:05.000000Z"

// JSON renders the PEP 691 (v1.1, PEP 700) project page.
func (p *Project) JSON() []byte {
	out := jsonProject{Meta: jsonMeta{APIVersion: apiVersion}, Name: p.Name, Versions: p.Versions, Files: make([]jsonFile, 0, len(p.files))}
	if out.Versions == nil {
		out.Versions = []string{}
	}
	for _, e := range p.files {
		f := jsonFile{Filename: e.file.Name, URL: p.fileURL(e), Hashes: map[string]string{"sha256": e.file.SHA256},
			CoreMetadata: false, DistInfoMetadata: false, Yanked: false, Size: e.file.Size}
		if e.meta.RequiresPython != "" {
			rp := e.meta.RequiresPython
			f.RequiresPython = &rp
		}
		if e.meta.MetadataSHA256 != "" {
			h := map[string]string{"sha256": e.meta.MetadataSHA256}
			f.CoreMetadata, f.DistInfoMetadata = h, h
		}
		if e.yanked {
			f.Yanked = true
			if e.reason != "" {
				f.Yanked = e.reason
			}
		}
		if !e.uploaded.IsZero() {
			f.UploadTime = e.uploaded.UTC().Format(uploadTimeFormat)
		}
		out.Files = append(out.Files, f)
	}
	b, _ := json.Marshal(out)
	return append(b, '\n')
}

// RootHTML renders the PEP 503 project list; names are normalised.
func RootHTML(names []string) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, n := range names {
		e := html.EscapeString(n)
		b.WriteString(`    <a href="` + e + `/">` + e + "</a><br />\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

// RootJSON renders the PEP 691 project list.
func RootJSON(names []string) []byte {
	type proj struct {
		Name string `json:"name"`
	}
	out := struct {
		Meta     jsonMeta `json:"meta"`
		Projects []proj   `json:"projects"`
	}{Meta: jsonMeta{APIVersion: apiVersion}, Projects: make([]proj, 0, len(names))}
	for _, n := range names {
		out.Projects = append(out.Projects, proj{Name: n})
	}
	b, _ := json.Marshal(out)
	return append(b, '\n')
}

// rendered is one encoded page, with a gzip copy when it is worth it.
type rendered struct {
	body []byte
	gz   []byte
	etag string
}

func newRendered(body []byte, etag string) *rendered {
	r := &rendered{body: body, etag: etag}
	if len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(body)
		if zw.Close() == nil {
			r.gz = buf.Bytes()
		}
	}
	return r
}

// pageState is a project as rendered at one revision.
type pageState struct {
	rev  int64
	proj *Project
	once [numFormats]sync.Once
	docs [numFormats]*rendered
}

func (st *pageState) render(f Format) *rendered {
	st.once[f].Do(func() {
		var body []byte
		tag := "h"
		switch f {
		case FormatJSON:
			body, tag = st.proj.JSON(), "j"
		default:
			body = st.proj.HTML()
		}
		st.docs[f] = newRendered(body, `W/"pypi-`+tag+"-"+strconv.FormatInt(st.rev, 10)+`"`)
	})
	return st.docs[f]
}

// pageSize estimates the memory a cached page state holds.
func pageSize(st *pageState) int64 { return int64(len(st.proj.files))*900 + 4096 }
