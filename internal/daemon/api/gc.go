package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// gc is POST /api/v1/admin/gc: a garbage collection run (site admins).
func (a *API) gc(w http.ResponseWriter, r *http.Request) {
	if _, err := a.siteAdmin(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	var in client.GCRequest
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.WriteError(w, r, err)
			return
		}
	}
	grace := ecosystems.DefaultGCGrace
	if in.Grace != "" {
		d, err := time.ParseDuration(in.Grace)
		if err != nil {
			d, err = ParseDuration(in.Grace)
		}
		if err != nil || d < 0 {
			a.WriteError(w, r, fmt.Errorf("%w: grace %q is not a duration like 30m or 2h", store.ErrInvalid, in.Grace))
			return
		}
		grace = d
	}
	res, err := a.Pipeline.CollectGarbage(r.Context(), grace, in.DryRun)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, client.GCResult(res))
}
