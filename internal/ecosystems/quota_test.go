package ecosystems_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// storage returns the org's counter and a recount from its versions,
// made here independently of ecosystems.Recount (which must agree).
func (f *fixture) storage(t *testing.T) (counter, recount int64) {
	t.Helper()
	err := f.p.Index.View(ctx, func(tx store.Tx) error {
		u, err := ecosystems.LoadUsage(tx, "acme")
		if err != nil {
			return err
		}
		counter = u.Storage
		pkgs, err := tx.PackageList(store.PackageFilter{Org: "acme"})
		if err != nil {
			return err
		}
		for _, pkg := range pkgs {
			vs, err := tx.Versions(pkg.PackageKey)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.IsDeleted() {
					continue
				}
				for _, fl := range v.Files {
					recount += fl.Size
				}
			}
		}
		n, err := ecosystems.Recount(tx)
		if err == nil && n["acme"] != recount {
			t.Fatalf("ecosystems.Recount %d, recount here %d", n["acme"], recount)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return counter, recount
}

func (f *fixture) setLimit(t *testing.T, n int64) {
	t.Helper()
	err := f.p.Index.Update(ctx, func(tx store.Tx) error {
		o, err := tx.Org("acme")
		if err != nil {
			return err
		}
		o.Settings.Plan, o.Settings.StorageLimit = "enterprise", n
		return tx.PutOrg(o)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStorageCounterMatchesRecount runs a random mix of every operation
// that changes storage — publish, add files, replace and prune files
// (PutFiles), yank, delete a version, delete a package, publishes
// refused by the limit — and checks after each that the counter equals a
// recount and never exceeds the limit.
func TestStorageCounterMatchesRecount(t *testing.T) {
	f := newFixture(t, t.TempDir())
	const limit = 2500
	f.setLimit(t, limit)
	rng := rand.New(rand.NewPCG(1, 2))
	file := func(name string, size int) store.File {
		fl := f.file(t, strings.Repeat(string(rune('a'+rng.IntN(26))), size)+name)
		fl.Name = name
		return fl
	}
	names := []string{"a", "b", "c"}
	refused := 0
	for step := range 300 {
		k := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: names[rng.IntN(len(names))]}
		v := fmt.Sprintf("1.0.%d", rng.IntN(6))
		var err error
		var op string
		switch rng.IntN(7) {
		case 0, 1:
			op = "publish"
			_, err = f.p.Publish(ctx, f.admin, ecosystems.PublishRequest{Key: k, Version: v, Files: []store.File{file("f.tgz", 50+rng.IntN(900))}})
		case 2:
			op = "add files"
			_, err = f.p.Publish(ctx, f.admin, ecosystems.PublishRequest{Key: k, Version: v, AddFiles: true,
				Files: []store.File{file(fmt.Sprintf("extra-%d", step), 10+rng.IntN(300))}})
		case 3:
			op = "put files"
			_, err = f.p.PutFiles(ctx, f.admin, ecosystems.PublishRequest{Key: k, Version: v, Files: []store.File{file("snap.jar", 10+rng.IntN(700))}},
				func(string) bool { return true },
				func(_ store.OrgSettings, fs []store.File) []store.File {
					if len(fs) > 2 {
						return fs[len(fs)-2:]
					}
					return fs
				})
		case 4:
			op = "yank"
			_, err = f.p.Yank(ctx, f.admin, k, v, true, "")
		case 5:
			op = "delete version"
			err = f.p.DeleteVersion(ctx, f.admin, k, v)
		case 6:
			op = "delete package"
			if rng.IntN(4) == 0 {
				err = f.p.DeletePackage(ctx, f.admin, k)
			}
		}
		var qe *ecosystems.QuotaError
		switch {
		case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		case errors.As(err, &qe):
			refused++
			if qe.Used+qe.Adds <= limit {
				t.Fatalf("step %d %s: refused %+v although it fits", step, op, qe)
			}
		default:
			t.Fatalf("step %d %s: %v", step, op, err)
		}
		counter, recount := f.storage(t)
		if counter != recount || counter > limit || counter < 0 {
			t.Fatalf("step %d %s: counter %d, recount %d, limit %d", step, op, counter, recount, limit)
		}
	}
	if refused == 0 {
		t.Fatal("no publish was refused: the limit was never reached, the test proves little")
	}
}
