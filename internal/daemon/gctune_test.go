package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestTuneGCRaisesGOGCForASmallHeap(t *testing.T) {
	t.Setenv("GOGC", "") // an explicit GOGC turns the tuning off; run it regardless
	tuneGC()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		pct := debug.SetGCPercent(100)
		debug.SetGCPercent(pct)
		if pct > 100 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d after collections with a live heap under %d MiB", pct, gcHeadroom>>20)
		}
	}
}
