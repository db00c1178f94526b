package pkgcmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// SplitNameVersion splits NAME@VERSION on the last '@' that is not the
// first character, so that scoped npm names (@scope/name@1.2.3) and
// Maven names (group:artifact@1.0) work. version is "" when absent.
func SplitNameVersion(arg string) (name, version string) {
	i := strings.LastIndexByte(arg, '@')
	if i <= 0 {
		return arg, ""
	}
	return arg[:i], arg[i+1:]
}

// Ref is a package (and optionally one version) in an organisation.
type Ref struct {
	Org       string
	Ecosystem string
	Name      string
	Version   string
}

func (r Ref) String() string {
	s := r.Ecosystem + " package " + r.Name
	if r.Version != "" {
		s += "@" + r.Version
	}
	return s
}

// parseRef parses a NAME[@VERSION] argument; needVersion makes the version
// mandatory, noVersion forbids it.
func parseRef(arg string, needVersion, noVersion bool) (name, version string, err error) {
	name, version = SplitNameVersion(arg)
	switch {
	case name == "":
		return "", "", cmdutil.FlagErrorf("empty package name in %q", arg)
	case needVersion && version == "":
		return "", "", cmdutil.FlagErrorf("version required: %s@VERSION", name)
	case noVersion && version != "":
		return "", "", cmdutil.FlagErrorf("expected a package name without version, got %q", arg)
	case strings.HasSuffix(arg, "@"):
		return "", "", cmdutil.FlagErrorf("empty version in %q", arg)
	}
	return name, version, nil
}

// Lister finds packages by organisation, ecosystem and name (the API
// client implements it).
type Lister interface {
	Packages(ctx context.Context, org, ecosystem, name string) ([]client.Package, error)
}

// ResolveEcosystem returns eco when it is set; otherwise it looks name up
// in org and returns the ecosystem of the only package of that name. Two
// or more matches are a usage error listing the -e choices.
func ResolveEcosystem(ctx context.Context, l Lister, org, eco, name string) (string, error) {
	if eco != "" {
		return eco, nil
	}
	pkgs, err := l.Packages(ctx, org, "", name)
	if err != nil {
		return "", fmt.Errorf("look up package %s in %s: %w", name, org, err)
	}
	var ecos []string
	for _, p := range pkgs {
		if !slices.Contains(ecos, p.Ecosystem) {
			ecos = append(ecos, p.Ecosystem)
		}
	}
	switch len(ecos) {
	case 0:
		return "", fmt.Errorf("package %s not found in %s", name, org)
	case 1:
		return ecos[0], nil
	}
	choices := make([]string, len(ecos))
	for i, e := range ecos {
		choices[i] = "-e " + e
	}
	return "", cmdutil.FlagErrorf("package %s exists in several ecosystems of %s; pick one with %s",
		name, org, strings.Join(choices, ", "))
}

// resolve turns the flags and the NAME[@VERSION] argument of a command
// into a Ref: the organisation from --org or the configuration, the
// ecosystem from -e or a lookup.
func resolve(ctx context.Context, c Lister, defaultOrg func(string) (string, error), t Target, name, version string) (Ref, error) {
	org, err := defaultOrg(t.Org)
	if err != nil {
		return Ref{}, err
	}
	eco, err := ResolveEcosystem(ctx, c, org, t.Ecosystem, name)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Org: org, Ecosystem: eco, Name: name, Version: version}, nil
}
