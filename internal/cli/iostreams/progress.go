package iostreams

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressReader counts the bytes read through it and draws a progress bar
// on standard error when that is a terminal; on pipes it prints one plain
// line when reading starts.
type ProgressReader struct {
	r     io.Reader
	ios   *IOStreams
	label string
	total int64

	mu      sync.Mutex
	read    int64
	started bool
	last    time.Time
	done    bool
}

// NewProgressReader wraps r, whose length is total bytes (0 when unknown).
func NewProgressReader(ios *IOStreams, r io.Reader, label string, total int64) *ProgressReader {
	return &ProgressReader{r: r, ios: ios, label: label, total: total}
}

// Read implements io.Reader.
func (p *ProgressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.read += int64(n)
	if !p.started {
		p.started = true
		if !p.ios.IsStderrTTY() {
			fmt.Fprintf(p.ios.ErrOut, "Uploading %s (%s)\n", p.label, FormatBytes(p.total))
		}
	}
	if p.ios.IsStderrTTY() && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		p.draw()
	}
	return n, err
}

// Done finishes the bar (a final redraw and a newline on a terminal).
func (p *ProgressReader) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || !p.ios.IsStderrTTY() {
		return
	}
	p.done = true
	p.draw()
	fmt.Fprintln(p.ios.ErrOut)
}

// BytesRead returns the number of bytes read so far.
func (p *ProgressReader) BytesRead() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read
}

func (p *ProgressReader) draw() {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(p.read)/float64(p.total), 1)
	}
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	fmt.Fprintf(p.ios.ErrOut, "\r%s [%s] %3.0f%% %s/%s", p.label, bar, frac*100,
		FormatBytes(p.read), FormatBytes(p.total))
}

// FormatBytes renders a byte count for people: 512 B, 1.5 kB, 3.2 MB.
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
