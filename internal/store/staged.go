package store

import "io"

// StagedFile is the content of a staged blob opened for reading.
type StagedFile interface {
	io.ReaderAt
	io.ReadSeekCloser
}

// ReadableStaged is implemented by Staged blobs whose bytes can be read
// back before Commit, so archives that need random access (zip) can be
// inspected before anything becomes visible. Close the file before
// calling Commit or Discard.
type ReadableStaged interface {
	Staged
	// OpenStaged opens the staged bytes for reading.
	OpenStaged() (StagedFile, error)
}
