package store

import "os"

// TempAdopter is implemented by blob stores that let a caller build a blob
// in a temporary file over several requests (OCI chunked uploads) and then
// stage that file without copying it.
type TempAdopter interface {
	// CreateTemp creates a file in the store's temporary area (on the same
	// filesystem as the blobs). Files left there are removed when the store
	// is opened again.
	CreateTemp(pattern string) (*os.File, error)
	// Adopt stages the closed file at path, created by CreateTemp, whose
	// sha256 and size the caller computed while writing it. Commit renames
	// it into place; Discard removes it.
	Adopt(path string, info BlobInfo) (Staged, error)
}
