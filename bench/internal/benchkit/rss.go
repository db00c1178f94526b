package benchkit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProcMem is the resident-set figures of one process, in bytes.
type ProcMem struct {
	RSS int64 // VmRSS: resident now
	HWM int64 // VmHWM: peak resident since start or the last reset
}

// ReadProcMem reads VmRSS and VmHWM from /proc/PID/status.
func ReadProcMem(pid int) (ProcMem, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	var m ProcMem
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.HWM
		default:
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return ProcMem{}, fmt.Errorf("pid %d: unexpected %s line %q", pid, key, sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return ProcMem{}, fmt.Errorf("pid %d: parse %s: %w", pid, key, err)
		}
		*dst = kb * 1024
	}
	if m.RSS == 0 || m.HWM == 0 {
		return ProcMem{}, fmt.Errorf("pid %d: no VmRSS/VmHWM in /proc status", pid)
	}
	return m, nil
}

// ResetPeakRSS resets the kernel's VmHWM counter of pid (writing 5 to
// clear_refs), so that a later VmHWM covers only what follows. It reports
// whether the reset worked; old kernels and foreign processes refuse it.
func ResetPeakRSS(pid int) bool {
	err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	return err == nil
}

// RSSSampler polls a process's VmRSS at a fixed interval and keeps the
// maximum seen.
type RSSSampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup

	mu      sync.Mutex
	max     int64
	samples int
	err     error
}

// StartRSSSampler starts sampling pid every interval until Stop.
func StartRSSSampler(pid int, interval time.Duration) *RSSSampler {
	s := &RSSSampler{pid: pid, stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				s.sample()
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *RSSSampler) sample() {
	m, err := ReadProcMem(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return
	}
	s.samples++
	s.max = max(s.max, m.RSS)
}

// Stop ends sampling and returns the highest VmRSS seen and the number of
// samples taken.
func (s *RSSSampler) Stop() (peak int64, samples int, err error) {
	close(s.stop)
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.samples, s.err
}
