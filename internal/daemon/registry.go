package daemon

import (
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/ecosystems/maven"
	"github.com/drok-dev/drok/internal/ecosystems/npm"
)

// registered returns the ecosystems this build serves.
func registered() []ecosystems.Ecosystem {
	return []ecosystems.Ecosystem{npm.New(), maven.New()}
}
