package store

// Aux is a small namespaced key-value area for ecosystem records that do
// not fit Package and Version (OCI: which blobs each repository may read).
// Transactions of indexes that support it implement Aux; callers get it
// with AuxOf. Keys are opaque strings; values are opaque bytes.
type Aux interface {
	// AuxGet returns the value stored under ns/key, or ErrNotFound.
	AuxGet(ns, key string) ([]byte, error)
	// AuxPut stores val under ns/key, replacing any previous value.
	AuxPut(ns, key string, val []byte) error
	// AuxDelete removes ns/key; removing a missing key is not an error.
	AuxDelete(ns, key string) error
	// AuxScan calls fn, in key order, for every key of ns starting with
	// prefix. fn must not modify the area.
	AuxScan(ns, prefix string, fn func(key string, val []byte) error) error
}

// AuxOf returns tx's Aux area, or ok=false when the index has none.
func AuxOf(tx Tx) (Aux, bool) {
	a, ok := tx.(Aux)
	return a, ok
}
