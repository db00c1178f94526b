package nuget

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

var errBadKey = errors.New("bad OData key: want Packages(Id='ID',Version='VERSION')")

// ServiceDocument renders the v2 feed's OData service document.
func ServiceDocument(root string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<service xml:base="%s" xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom">`, esc(root))
	b.WriteString(`<workspace><atom:title type="text">Default</atom:title><collection href="Packages"><atom:title type="text">Packages</atom:title></collection></workspace></service>`)
	return b.Bytes()
}

// v2Props are the V2FeedPackage properties drok serves, with their EDM types.
var v2Props = [][2]string{
	{"Id", "Edm.String"}, {"Version", "Edm.String"}, {"NormalizedVersion", "Edm.String"},
	{"Authors", "Edm.String"}, {"Copyright", "Edm.String"}, {"Created", "Edm.DateTime"},
	{"Dependencies", "Edm.String"}, {"Description", "Edm.String"}, {"DownloadCount", "Edm.Int32"},
	{"IconUrl", "Edm.String"}, {"IsLatestVersion", "Edm.Boolean"}, {"IsAbsoluteLatestVersion", "Edm.Boolean"},
	{"IsPrerelease", "Edm.Boolean"}, {"Language", "Edm.String"}, {"LastUpdated", "Edm.DateTime"},
	{"Published", "Edm.DateTime"}, {"PackageHash", "Edm.String"}, {"PackageHashAlgorithm", "Edm.String"},
	{"PackageSize", "Edm.Int64"}, {"ProjectUrl", "Edm.String"}, {"ReleaseNotes", "Edm.String"},
	{"RequireLicenseAcceptance", "Edm.Boolean"}, {"Summary", "Edm.String"}, {"Tags", "Edm.String"},
	{"Title", "Edm.String"}, {"VersionDownloadCount", "Edm.Int32"}, {"MinClientVersion", "Edm.String"},
	{"LicenseUrl", "Edm.String"}, {"Listed", "Edm.Boolean"}, {"LicenseNames", "Edm.String"},
}

// Metadata renders the $metadata document (EDMX) of the v2 feed.
func Metadata() []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">`)
	b.WriteString(`<edmx:DataServices m:DataServiceVersion="2.0" m:MaxDataServiceVersion="2.0" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`)
	b.WriteString(`<Schema Namespace="NuGetGallery.OData" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">`)
	b.WriteString(`<EntityType Name="V2FeedPackage" m:HasStream="true"><Key><PropertyRef Name="Id"/><PropertyRef Name="Version"/></Key>`)
	for _, p := range v2Props {
		nullable := "true"
		if p[1] != "Edm.String" {
			nullable = "false"
		}
		fmt.Fprintf(&b, `<Property Name="%s" Type="%s" Nullable="%s"/>`, p[0], p[1], nullable)
	}
	b.WriteString(`</EntityType></Schema>`)
	b.WriteString(`<Schema Namespace="NuGetGallery" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">`)
	b.WriteString(`<EntityContainer Name="V2FeedContext" m:IsDefaultEntityContainer="true">`)
	b.WriteString(`<EntitySet Name="Packages" EntityType="NuGetGallery.OData.V2FeedPackage"/>`)
	b.WriteString(`<FunctionImport Name="Search" ReturnType="Collection(NuGetGallery.OData.V2FeedPackage)" EntitySet="Packages">` +
		`<Parameter Name="searchTerm" Type="Edm.String"/><Parameter Name="targetFramework" Type="Edm.String"/>` +
		`<Parameter Name="includePrerelease" Type="Edm.Boolean"/></FunctionImport>`)
	b.WriteString(`<FunctionImport Name="FindPackagesById" ReturnType="Collection(NuGetGallery.OData.V2FeedPackage)" EntitySet="Packages">` +
		`<Parameter Name="id" Type="Edm.String"/></FunctionImport>`)
	b.WriteString(`</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`)
	return b.Bytes()
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// v2Entries lists every live version of the views as OData entries, with
// the IsLatestVersion / IsAbsoluteLatestVersion flags computed.
func v2Entries(views []*pkgView, semver2 bool) []*v2Entry {
	var out []*v2Entry
	for _, pv := range views {
		keep := func(vv *verView) bool { return semver2 || !vv.v.IsSemVer2() }
		latest := pv.latest(func(vv *verView) bool { return keep(vv) && !vv.v.IsPrerelease() })
		abs := pv.latest(keep)
		for _, vv := range pv.vers {
			if keep(vv) {
				out = append(out, &v2Entry{pv: pv, vv: vv, latest: vv == latest, absolute: vv == abs})
			}
		}
	}
	return out
}

// unquote strips OData string quotes ('x' → x).
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// v2Query applies a v2 request's parameters (function parameters,
// $filter, $orderby, $skip, $top) to the entries.
func v2Query(route Route, q url.Values, entries []*v2Entry) ([]*v2Entry, int, error) {
	keep := func(*v2Entry) bool { return true }
	switch route.Kind {
	case RouteV2FindByID:
		id := strings.ToLower(unquote(q.Get("id")))
		keep = func(e *v2Entry) bool { return e.pv.pkg.Name == id }
	case RouteV2Search:
		term := strings.ToLower(unquote(q.Get("searchTerm")))
		pre := strings.EqualFold(unquote(q.Get("includePrerelease")), "true")
		keep = func(e *v2Entry) bool {
			if !e.vv.listed || (!pre && e.vv.v.IsPrerelease()) {
				return false
			}
			return term == "" || matchQuery(e.pv, e.vv, term)
		}
	}
	if f := q.Get("$filter"); f != "" {
		pred, err := ParseFilter(f)
		if err != nil {
			return nil, 0, err
		}
		prev := keep
		keep = func(e *v2Entry) bool { return prev(e) && pred(e) }
	}
	var out []*v2Entry
	for _, e := range entries {
		if keep(e) {
			out = append(out, e)
		}
	}
	order := strings.ToLower(q.Get("$orderby"))
	slices.SortStableFunc(out, func(a, b *v2Entry) int {
		if strings.Contains(order, "downloadcount") {
			if c := int(b.pv.pkg.Downloads - a.pv.pkg.Downloads); c != 0 {
				return c
			}
		}
		if c := strings.Compare(a.pv.pkg.Name, b.pv.pkg.Name); c != 0 {
			return c
		}
		return a.vv.v.Compare(b.vv.v)
	})
	if strings.Contains(order, "desc") && !strings.Contains(order, "downloadcount") {
		slices.Reverse(out)
	}
	total := len(out)
	skip, top := 0, -1
	if s := q.Get("$skip"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, 0, fmt.Errorf("%w: $skip must be a non-negative integer", ErrFilter)
		}
		skip = n
	}
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, 0, fmt.Errorf("%w: $top must be a non-negative integer", ErrFilter)
		}
		top = n
	}
	out = out[min(skip, len(out)):]
	if top >= 0 && top < len(out) {
		out = out[:top]
	}
	return out, total, nil
}

// dependencyString renders dependency groups the v2 way: id:range:tfm|…
func dependencyString(groups []DependencyGroup) string {
	var parts []string
	for _, g := range groups {
		if len(g.Dependencies) == 0 {
			parts = append(parts, "::"+g.TargetFramework)
		}
		for _, d := range g.Dependencies {
			parts = append(parts, d.ID+":"+d.Range+":"+g.TargetFramework)
		}
	}
	return strings.Join(parts, "|")
}

func edmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000") }

// writeEntry writes one Atom entry (without namespace declarations when
// nested in a feed).
func writeEntry(b *bytes.Buffer, u urls, e *v2Entry, standalone bool) {
	pv, vv, m := e.pv, e.vv, e.vv.meta
	self := u.root + "Packages(Id='" + url.PathEscape(pv.display) + "',Version='" + url.PathEscape(vv.v.String()) + "')"
	if standalone {
		fmt.Fprintf(b, `<entry xml:base="%s" xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`, esc(u.root))
	} else {
		b.WriteString(`<entry>`)
	}
	published := vv.published
	if !vv.listed {
		published = unlistedDate
	}
	fmt.Fprintf(b, `<id>%s</id><category term="NuGetGallery.OData.V2FeedPackage" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"/>`, esc(self))
	fmt.Fprintf(b, `<link rel="edit" title="V2FeedPackage" href="%s"/><link rel="self" title="V2FeedPackage" href="%s"/>`, esc(self), esc(self))
	fmt.Fprintf(b, `<title type="text">%s</title><summary type="text">%s</summary><updated>%s</updated><author><name>%s</name></author>`,
		esc(pv.display), esc(m.Summary), vv.published.UTC().Format(time.RFC3339), esc(m.Authors))
	fmt.Fprintf(b, `<link rel="edit-media" title="V2FeedPackage" href="%s/$value"/>`, esc(self))
	fmt.Fprintf(b, `<content type="application/zip" src="%s"/>`, esc(u.v2Download(pv.display, vv.v.String())))
	b.WriteString(`<m:properties>`)
	str := func(name, v string) {
		if v == "" {
			fmt.Fprintf(b, `<d:%s m:null="true"/>`, name)
			return
		}
		fmt.Fprintf(b, `<d:%s>%s</d:%s>`, name, esc(v), name)
	}
	typed := func(name, typ, v string) { fmt.Fprintf(b, `<d:%s m:type="%s">%s</d:%s>`, name, typ, v, name) }
	nupkg, _ := vv.file(".nupkg")
	hash := ""
	if h, err := hex.DecodeString(nupkg.Hashes["sha512"]); err == nil && len(h) > 0 {
		hash = base64.StdEncoding.EncodeToString(h)
	}
	str("Id", pv.display)
	str("Version", vv.v.Full())
	str("NormalizedVersion", vv.v.String())
	str("Authors", m.Authors)
	str("Copyright", m.Copyright)
	typed("Created", "Edm.DateTime", edmTime(vv.published))
	str("Dependencies", dependencyString(m.DependencyGroups))
	str("Description", m.Description)
	typed("DownloadCount", "Edm.Int32", strconv.FormatInt(pv.pkg.Downloads, 10))
	str("IconUrl", m.IconURL)
	typed("IsLatestVersion", "Edm.Boolean", strconv.FormatBool(e.latest))
	typed("IsAbsoluteLatestVersion", "Edm.Boolean", strconv.FormatBool(e.absolute))
	typed("IsPrerelease", "Edm.Boolean", strconv.FormatBool(vv.v.IsPrerelease()))
	str("Language", m.Language)
	typed("LastUpdated", "Edm.DateTime", edmTime(vv.published))
	typed("Published", "Edm.DateTime", edmTime(published))
	str("PackageHash", hash)
	str("PackageHashAlgorithm", "SHA512")
	typed("PackageSize", "Edm.Int64", strconv.FormatInt(nupkg.Size, 10))
	str("ProjectUrl", m.ProjectURL)
	str("ReleaseNotes", m.ReleaseNotes)
	typed("RequireLicenseAcceptance", "Edm.Boolean", strconv.FormatBool(m.RequireLicenseAcceptance))
	str("Summary", m.Summary)
	str("Tags", m.Tags)
	str("Title", m.Title)
	typed("VersionDownloadCount", "Edm.Int32", strconv.FormatInt(vv.downloads, 10))
	str("MinClientVersion", m.MinClientVersion)
	str("LicenseUrl", m.LicenseURL)
	typed("Listed", "Edm.Boolean", strconv.FormatBool(vv.listed))
	str("LicenseNames", m.LicenseExpression)
	b.WriteString(`</m:properties></entry>`)
}

// feedDoc renders an Atom feed of entries; total is written as m:count
// when inline is set.
func feedDoc(u urls, self string, entries []*v2Entry, total int, inline bool) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<feed xml:base="%s" xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`, esc(u.root))
	fmt.Fprintf(&b, `<id>%s</id><title type="text">%s</title><updated>%s</updated><link rel="self" title="%s" href="%s"/>`,
		esc(u.root+self), esc(self), time.Now().UTC().Format(time.RFC3339), esc(self), esc(self))
	if inline {
		fmt.Fprintf(&b, `<m:count>%d</m:count>`, total)
	}
	for _, e := range entries {
		writeEntry(&b, u, e, false)
	}
	b.WriteString(`</feed>`)
	return b.Bytes()
}

// entryDoc renders one standalone Atom entry.
func entryDoc(u urls, e *v2Entry) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	writeEntry(&b, u, e, true)
	return b.Bytes()
}
