package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/drok-dev/drok/internal/store"
)

// runAux checks the optional store.Aux area: round trip, namespaces kept
// apart, prefix scans in key order, deletes, and rollback.
func runAux(t *testing.T, newIndex func(t *testing.T) store.Index) {
	ctx := context.Background()
	t.Run("Aux", func(t *testing.T) {
		idx := newIndex(t)
		supported := true
		_ = idx.View(ctx, func(tx store.Tx) error { _, supported = store.AuxOf(tx); return nil })
		if !supported {
			t.Log("index has no Aux area (optional)")
			return
		}
		err := idx.Update(ctx, func(tx store.Tx) error {
			a, _ := store.AuxOf(tx)
			for _, kv := range [][3]string{{"oci", "b/acme/x/1", "one"}, {"oci", "b/acme/x/2", "two"}, {"oci", "b/acme/y/1", "other"}, {"cargo", "b/acme/x/1", "ns"}} {
				must(t, a.AuxPut(kv[0], kv[1], []byte(kv[2])))
			}
			return nil
		})
		must(t, err)
		_ = idx.View(ctx, func(tx store.Tx) error {
			a, _ := store.AuxOf(tx)
			v, err := a.AuxGet("oci", "b/acme/x/2")
			if err != nil || string(v) != "two" {
				t.Errorf("AuxGet = %q, %v", v, err)
			}
			if _, err := a.AuxGet("oci", "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AuxGet missing = %v, want ErrNotFound", err)
			}
			var keys []string
			must(t, a.AuxScan("oci", "b/acme/x/", func(k string, v []byte) error { keys = append(keys, k+"="+string(v)); return nil }))
			if len(keys) != 2 || keys[0] != "b/acme/x/1=one" || keys[1] != "b/acme/x/2=two" {
				t.Errorf("AuxScan = %v", keys)
			}
			return nil
		})
		wantErr := errors.New("roll back")
		err = idx.Update(ctx, func(tx store.Tx) error {
			a, _ := store.AuxOf(tx)
			must(t, a.AuxDelete("oci", "b/acme/x/1"))
			must(t, a.AuxPut("oci", "b/acme/z", []byte("z")))
			return wantErr
		})
		if !errors.Is(err, wantErr) {
			t.Fatalf("update = %v", err)
		}
		must(t, idx.Update(ctx, func(tx store.Tx) error {
			a, _ := store.AuxOf(tx)
			if _, err := a.AuxGet("oci", "b/acme/z"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("rolled-back put visible: %v", err)
			}
			if _, err := a.AuxGet("oci", "b/acme/x/1"); err != nil {
				t.Errorf("rolled-back delete applied: %v", err)
			}
			must(t, a.AuxDelete("oci", "b/acme/x/1"))
			must(t, a.AuxDelete("oci", "never-there"))
			_, err := a.AuxGet("oci", "b/acme/x/1")
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("deleted key: %v", err)
			}
			return nil
		}))
	})
}
