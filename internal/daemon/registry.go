package daemon

import (
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/ecosystems/npm"
	"github.com/drok-dev/drok/internal/ecosystems/nuget"
)

// registered returns the ecosystems this build serves.
func registered() []ecosystems.Ecosystem {
	return []ecosystems.Ecosystem{npm.New(), nuget.New()}
}
