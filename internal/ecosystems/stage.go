package ecosystems

import (
	"context"
	"fmt"
	"io"

	"github.com/drok-dev/drok/internal/store"
)

// StageInspected streams r into the blob store's staging area while
// inspect reads the same bytes concurrently (an archive checked on the
// fly, holding only small buffers). Nothing becomes visible: the caller
// validates the publish, then commits or discards the staged blob. When
// inspect fails the staged bytes are discarded and its error returned,
// since it is the cause of the write error it provokes. what names the
// artifact in errors ("crate", "tarball").
func StageInspected[T any](ctx context.Context, blobs store.Blobs, r io.Reader, what string, inspect func(io.Reader) (T, error)) (store.Staged, T, error) {
	type inspection struct {
		info T
		err  error
	}
	pr, pw := io.Pipe()
	inspected := make(chan inspection, 1)
	go func() {
		info, err := inspect(pr)
		// Report before unblocking the writer, so that an inspection error
		// is seen as the cause of the write error it provokes.
		inspected <- inspection{info, err}
		if err != nil {
			pr.CloseWithError(err)
			return
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	staged, stageErr := blobs.Stage(ctx, io.TeeReader(r, pw), "")
	var res inspection
	select {
	case res = <-inspected: // the inspection ended on its own
		pw.CloseWithError(stageErr)
	default:
		pw.CloseWithError(stageErr)
		res = <-inspected
		if stageErr != nil {
			res.err = nil // the inspector only saw the end of the data
		}
	}
	if res.err != nil {
		if staged != nil {
			staged.Discard()
		}
		var zero T
		return nil, zero, res.err
	}
	if stageErr != nil {
		return nil, res.info, fmt.Errorf("store %s: %w", what, stageErr)
	}
	return staged, res.info, nil
}
