package daemon

import (
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/ecosystems/cargo"
	"github.com/drok-dev/drok/internal/ecosystems/maven"
	"github.com/drok-dev/drok/internal/ecosystems/npm"
	"github.com/drok-dev/drok/internal/ecosystems/nuget"
	"github.com/drok-dev/drok/internal/ecosystems/oci"
	"github.com/drok-dev/drok/internal/ecosystems/pypi"
)

// registered returns the ecosystems this build serves.
func registered() []ecosystems.Ecosystem {
	return []ecosystems.Ecosystem{npm.New(), pypi.New(), cargo.New(), oci.New(), maven.New(), nuget.New()}
}
