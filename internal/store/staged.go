package store

// StagedReader is implemented by Staged blobs whose received bytes can be
// read back before Commit, so formats that need random access (zip
// archives) can be inspected and refused without ever becoming visible.
type StagedReader interface {
	// Open opens the staged bytes for reading.
	Open() (BlobReader, error)
}
