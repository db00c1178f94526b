package daemon

import "github.com/drok-dev/drok/internal/ecosystems"

// registered returns the ecosystems this build serves.
func registered() []ecosystems.Ecosystem {
	return []ecosystems.Ecosystem{}
}
