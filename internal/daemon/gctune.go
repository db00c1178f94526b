package daemon

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcHeadroom is the heap growth the garbage collector allows between
// cycles at least. With GOGC's default of 100 a daemon whose live heap is
// a few MiB collects dozens of times a second under read load (each
// request allocates a few KiB in net/http), which costs more CPU than
// serving a cached document; 32 MiB of headroom makes that a few cycles a
// second while bounding the extra memory to 32 MiB. Above 32 MiB of live
// heap GOGC's 100 % applies unchanged.
const gcHeadroom = 32 << 20

var gcTuneOnce sync.Once

// gcSentinel is garbage from birth: its finalizer runs after the next
// collection. (It holds a pointer so that it is not a tiny allocation,
// which may never be finalized.)
type gcSentinel struct {
	_ *int
	_ [2]int
}

// tuneGC keeps the heap goal at about max(2 × live heap, live heap +
// gcHeadroom) by setting GOGC after every collection from the live heap
// it left. An explicit GOGC in the environment turns it off.
func tuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTuneOnce.Do(func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		last := 100
		var arm func()
		arm = func() {
			runtime.SetFinalizer(new(gcSentinel), func(*gcSentinel) {
				metrics.Read(sample)
				pct := 100
				if sample[0].Value.Kind() == metrics.KindUint64 {
					if live := sample[0].Value.Uint64(); live > 0 && live < gcHeadroom {
						pct = int(gcHeadroom * 100 / live)
					}
				}
				if pct != last {
					debug.SetGCPercent(pct)
					last = pct
				}
				arm()
			})
		}
		arm()
	})
}
