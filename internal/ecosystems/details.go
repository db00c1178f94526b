package ecosystems

import (
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/store"
)

// Visibility returns the visibility a package follows: its linked
// repository's, or "org" for an unlinked package (org members only).
func Visibility(tx store.Tx, pkg store.Package) string {
	if pkg.Repo != "" {
		if rp, err := tx.Repo(pkg.Org, pkg.Repo); err == nil {
			return string(rp.Visibility)
		}
	}
	return "org"
}

// Details renders the drok view of a package (the REST API's package
// object, also npm's "drok" packument key). Versions are included when vs
// is non-nil.
func Details(pkg store.Package, vs []store.Version, visibility, latest string) client.Package {
	out := client.Package{
		Ecosystem: pkg.Ecosystem, Org: pkg.Org, Name: pkg.Name, DisplayName: pkg.DisplayName,
		Repository: pkg.Repo, Visibility: visibility, Created: pkg.Created, Updated: pkg.Updated,
		Downloads: pkg.Downloads, Tags: pkg.Tags, Latest: latest,
	}
	for _, v := range vs {
		out.Versions = append(out.Versions, VersionDetails(v))
	}
	return out
}

// VersionDetails renders one version for the REST API.
func VersionDetails(v store.Version) client.Version {
	cv := client.Version{Version: v.Version, Published: v.Published, Publisher: v.Publisher, Yanked: v.Yanked,
		YankReason: v.YankReason, Deleted: v.IsDeleted(), Downloads: v.Downloads, Files: []client.File{}}
	for _, f := range v.Files {
		cv.Files = append(cv.Files, client.File{Name: f.Name, SHA256: f.SHA256, Size: f.Size})
	}
	cv.Advisories = AdvisoryRefs(v.Advisories)
	return cv
}

// AdvisoryRefs renders advisory references for the REST API.
func AdvisoryRefs(refs []store.AdvisoryRef) []client.AdvisoryRef {
	if len(refs) == 0 {
		return nil
	}
	out := make([]client.AdvisoryRef, len(refs))
	for i, a := range refs {
		out[i] = client.AdvisoryRef(a)
	}
	return out
}
