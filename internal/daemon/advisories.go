package daemon

import (
	"context"
	"time"

	"github.com/drok-dev/drok/internal/advisory"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// systemPrincipal is the daemon itself acting on configured inputs (the
// watched advisory directory).
var systemPrincipal = ecosystems.Principal{User: "drok", SiteAdmin: true, Scopes: []string{store.ScopeAdmin}}

// watchAdvisories imports the advisory directory at start and again
// whenever its files change; records whose file disappeared are removed.
// Records removed from the directory while the daemon was down stay until
// removed with the REST API (the daemon only knows what it read itself).
func (s *Server) watchAdvisories(ctx context.Context) {
	every := s.cfg.AdvisoryPollInterval
	if every <= 0 {
		every = time.Minute
	}
	var last string
	known := map[string]bool{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fp, err := advisory.Fingerprint(s.cfg.AdvisoryDir)
		if err != nil {
			s.log.Warn("advisory directory", "dir", s.cfg.AdvisoryDir, "err", err)
		} else if fp != last {
			if err := s.importAdvisoryDir(ctx, known); err != nil {
				s.log.Warn("advisory directory import", "dir", s.cfg.AdvisoryDir, "err", err)
			} else {
				last = fp
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) importAdvisoryDir(ctx context.Context, known map[string]bool) error {
	srcs, err := advisory.ReadPath(s.cfg.AdvisoryDir)
	if err != nil {
		return err
	}
	docs := make([][]byte, 0, len(srcs))
	seen := map[string]bool{}
	for _, src := range srcs {
		a, err := advisory.Parse(src.Raw)
		if err != nil {
			return err
		}
		seen[a.ID] = true
		docs = append(docs, src.Raw)
	}
	var remove []string
	for id := range known {
		if !seen[id] {
			remove = append(remove, id)
		}
	}
	res, err := s.pipeline.ImportAdvisories(ctx, systemPrincipal, docs, remove)
	if err != nil {
		return err
	}
	clear(known)
	for id := range seen {
		known[id] = true
	}
	if res.Imported+res.Updated+res.Removed > 0 {
		s.log.Info("advisories imported", "dir", s.cfg.AdvisoryDir, "imported", res.Imported, "updated", res.Updated,
			"removed", res.Removed, "flagged_versions", res.Flagged, "cleared_versions", res.Cleared)
	}
	return nil
}
