package blob

import (
	"errors"
	"os"

	"github.com/drok-dev/drok/internal/store"
)

var _ store.StagedReader = (*staged)(nil)

// Open implements store.StagedReader: it opens the staged temporary file.
func (b *staged) Open() (store.BlobReader, error) {
	if b.done {
		return nil, errors.New("blob already committed or discarded")
	}
	return os.Open(b.tmp)
}
