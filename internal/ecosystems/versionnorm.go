package ecosystems

// VersionNormalizer is implemented by ecosystems whose stored version
// strings are a normalised form of what users type (NuGet: "1.0" is
// stored as "1.0.0"). The REST API normalises versions it is given with it.
type VersionNormalizer interface {
	// NormalizeVersion returns the stored form of v.
	NormalizeVersion(v string) (string, error)
}
