package ecosystems

import "net/http"

// LargeBodies is implemented by ecosystems whose protocol streams large
// request bodies straight to disk (OCI image layers). The daemon applies
// its upload limit instead of the general body limit to the requests
// LargeBody accepts.
type LargeBodies interface {
	// LargeBody reports whether r streams blob bytes to disk.
	LargeBody(r *http.Request) bool
}
