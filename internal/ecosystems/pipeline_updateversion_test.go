package ecosystems_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// TestPublishUpdateVersion: the UpdateVersion hook sees the version with
// the new files appended and its previous Meta, so AddFiles publishes can
// merge per-file metadata in the publish transaction; an error from it
// commits nothing.
func TestPublishUpdateVersion(t *testing.T) {
	f := newFixture(t, t.TempDir())
	add := func(name, content string, hook func(*store.Version) error) error {
		file := f.file(t, content)
		file.Name = name
		_, err := f.p.Publish(ctx, f.admin, ecosystems.PublishRequest{Key: key, Version: "1.0.0", Files: []store.File{file}, AddFiles: true, UpdateVersion: hook})
		return err
	}
	appendName := func(v *store.Version) error {
		var names []string
		if len(v.Meta) > 0 {
			if err := json.Unmarshal(v.Meta, &names); err != nil {
				return err
			}
		}
		b, err := json.Marshal(append(names, v.Files[len(v.Files)-1].Name))
		v.Meta = b
		return err
	}
	if err := add("a.whl", "a", appendName); err != nil {
		t.Fatal(err)
	}
	if err := add("b.tar.gz", "b", appendName); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := add("c.zip", "c", func(*store.Version) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("hook error: %v", err)
	}
	res, err := f.p.Resolve(ctx, f.admin, key)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Versions[0]
	if len(v.Files) != 2 || string(v.Meta) != `["a.whl","b.tar.gz"]` {
		t.Fatalf("version after hooks: %d files, meta %s", len(v.Files), v.Meta)
	}
}
