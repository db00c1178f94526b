package nuget

import (
	"net/url"
	"strings"
)

// RouteKind classifies a request path below the feed root.
type RouteKind int

// Route kinds. The access matrix test enumerates RouteUnknown through
// RouteInvalid, so a new kind must be added to it.
const (
	RouteUnknown RouteKind = iota
	// RouteRoot is the feed root: GET = v2 service document, PUT = push.
	RouteRoot
	// RouteServiceIndex is the v3 service index (index.json).
	RouteServiceIndex
	// RoutePublish is the push resource (api/v2/package, package).
	RoutePublish
	// RoutePackage is {publish}/{id}/{version}: GET downloads (v2),
	// DELETE unlists, POST relists.
	RoutePackage
	// RouteSymbolPublish is the symbol package push resource.
	RouteSymbolPublish
	// RouteFlatIndex is v3/flatcontainer/{id}/index.json.
	RouteFlatIndex
	// RouteFlatFile is v3/flatcontainer/{id}/{version}/{file}.
	RouteFlatFile
	// RouteRegIndex is v3/registration/{id}/index.json.
	RouteRegIndex
	// RouteRegPage is v3/registration/{id}/page/{lower}/{upper}.json.
	RouteRegPage
	// RouteRegLeaf is v3/registration/{id}/{version}.json.
	RouteRegLeaf
	// RouteSearch is the v3 search query service.
	RouteSearch
	// RouteAutocomplete is the v3 autocomplete service.
	RouteAutocomplete
	// RouteV2Metadata is the OData $metadata document.
	RouteV2Metadata
	// RouteV2Packages is Packages() with $filter, $orderby, $skip, $top.
	RouteV2Packages
	// RouteV2Entry is Packages(Id='X',Version='V').
	RouteV2Entry
	// RouteV2FindByID is FindPackagesById()?id='X'.
	RouteV2FindByID
	// RouteV2Search is Search()?searchTerm='X'.
	RouteV2Search
	// RouteInvalid is a path with an invalid id or version.
	RouteInvalid
)

// Route is a parsed request path.
type Route struct {
	Kind RouteKind
	// ID is the package id as written in the path.
	ID string
	// Version is the version as written in the path.
	Version string
	// File is the file name of RouteFlatFile.
	File string
	// Lower and Upper bound a registration page.
	Lower, Upper string
	// Count is set for OData /$count requests.
	Count bool
	// Err explains RouteInvalid.
	Err error
}

// ParseRoute classifies rest, the escaped path below the feed root.
func ParseRoute(rest string) Route {
	p := rest
	if strings.IndexByte(rest, '%') >= 0 {
		var err error
		if p, err = url.PathUnescape(rest); err != nil {
			return Route{Kind: RouteInvalid, Err: err}
		}
	}
	seg := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if p == "" || p == "/" {
		return Route{Kind: RouteRoot}
	}
	switch {
	case p == "index.json":
		return Route{Kind: RouteServiceIndex}
	case seg[0] == "package" || (len(seg) >= 3 && seg[0] == "api" && seg[1] == "v2" && seg[2] == "package"):
		if seg[0] == "api" {
			seg = seg[2:]
		}
		switch len(seg) {
		case 1:
			return Route{Kind: RoutePublish}
		case 3:
			return withIDVersion(Route{Kind: RoutePackage}, seg[1], seg[2])
		}
	case p == "api/v2/symbolpackage" || p == "api/v2/symbolpackage/" || p == "symbolpackage":
		return Route{Kind: RouteSymbolPublish}
	case len(seg) >= 3 && seg[0] == "v3" && seg[1] == "flatcontainer":
		switch {
		case len(seg) == 4 && seg[3] == "index.json":
			return withIDVersion(Route{Kind: RouteFlatIndex}, seg[2], "")
		case len(seg) == 5:
			return withIDVersion(Route{Kind: RouteFlatFile, File: seg[4]}, seg[2], seg[3])
		}
	case len(seg) >= 4 && seg[0] == "v3" && seg[1] == "registration":
		switch {
		case len(seg) == 4 && seg[3] == "index.json":
			return withIDVersion(Route{Kind: RouteRegIndex}, seg[2], "")
		case len(seg) == 4 && strings.HasSuffix(seg[3], ".json"):
			return withIDVersion(Route{Kind: RouteRegLeaf}, seg[2], strings.TrimSuffix(seg[3], ".json"))
		case len(seg) == 6 && seg[3] == "page" && strings.HasSuffix(seg[5], ".json"):
			r := withIDVersion(Route{Kind: RouteRegPage}, seg[2], "")
			if r.Kind == RouteRegPage {
				r.Lower, r.Upper = seg[4], strings.TrimSuffix(seg[5], ".json")
			}
			return r
		}
	case p == "v3/search":
		return Route{Kind: RouteSearch}
	case p == "v3/autocomplete":
		return Route{Kind: RouteAutocomplete}
	case p == "$metadata":
		return Route{Kind: RouteV2Metadata}
	}
	count := false
	if len(seg) == 2 && seg[1] == "$count" {
		count = true
	} else if len(seg) != 1 {
		return Route{Kind: RouteUnknown}
	}
	switch s := seg[0]; {
	case s == "Packages" || s == "Packages()":
		return Route{Kind: RouteV2Packages, Count: count}
	case s == "FindPackagesById()" || s == "FindPackagesById":
		return Route{Kind: RouteV2FindByID, Count: count}
	case s == "Search()" || s == "Search":
		return Route{Kind: RouteV2Search, Count: count}
	case strings.HasPrefix(s, "Packages(") && strings.HasSuffix(s, ")") && !count:
		id, ver, ok := parseEntryKey(s[len("Packages(") : len(s)-1])
		if !ok {
			return Route{Kind: RouteInvalid, Err: errBadKey}
		}
		return withIDVersion(Route{Kind: RouteV2Entry}, id, ver)
	}
	return Route{Kind: RouteUnknown}
}

func withIDVersion(r Route, id, version string) Route {
	if err := ValidateID(id); err != nil {
		return Route{Kind: RouteInvalid, Err: err}
	}
	r.ID = id
	if version != "" || r.Kind == RoutePackage || r.Kind == RouteFlatFile || r.Kind == RouteRegLeaf || r.Kind == RouteV2Entry {
		if _, err := ParseVersion(version); err != nil {
			return Route{Kind: RouteInvalid, Err: err}
		}
		r.Version = version
	}
	return r
}

// parseEntryKey parses Id='X',Version='V' (in either order).
func parseEntryKey(s string) (id, version string, ok bool) {
	for _, part := range strings.Split(s, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", "", false
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			return "", "", false
		}
		v = v[1 : len(v)-1]
		switch strings.TrimSpace(k) {
		case "Id":
			id = v
		case "Version":
			version = v
		default:
			return "", "", false
		}
	}
	return id, version, id != "" && version != ""
}
