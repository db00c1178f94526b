package bolt

import (
	"bytes"
	"fmt"

	"github.com/drok-dev/drok/internal/store"
)

// bucketAux holds store.Aux records under key(ns, key).
const bucketAux = "aux"

func init() { allBuckets = append(allBuckets, bucketAux) }

// AuxGet implements store.Aux.
func (t *txn) AuxGet(ns, k string) ([]byte, error) {
	v := t.b(bucketAux).Get(key(ns, k))
	if v == nil {
		return nil, fmt.Errorf("%s record %q: %w", ns, k, store.ErrNotFound)
	}
	return bytes.Clone(v), nil
}

// AuxPut implements store.Aux.
func (t *txn) AuxPut(ns, k string, val []byte) error {
	if !t.tx.Writable() {
		return fmt.Errorf("write in a read-only transaction")
	}
	return t.b(bucketAux).Put(key(ns, k), val)
}

// AuxDelete implements store.Aux.
func (t *txn) AuxDelete(ns, k string) error {
	if !t.tx.Writable() {
		return fmt.Errorf("write in a read-only transaction")
	}
	return t.b(bucketAux).Delete(key(ns, k))
}

// AuxScan implements store.Aux.
func (t *txn) AuxScan(ns, pfx string, fn func(string, []byte) error) error {
	p := append(key(ns, pfx), []byte{}...)
	nsLen := len(ns) + 1
	c := t.b(bucketAux).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(string(k[nsLen:]), v); err != nil {
			return err
		}
	}
	return nil
}
