package nuget

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"

	"github.com/drok-dev/drok/internal/store"
)

// firstPart returns the content of the first part of a multipart body
// with the given boundary, streamed, and its file name. Unlike
// mime/multipart it accepts a part that ends with a bare "\n--boundary"
// (NuGet 2.x writes its closing delimiter that way).
func firstPart(r io.Reader, boundary string) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	dash := "--" + boundary
	for i := 0; ; i++ {
		line, err := br.ReadString('\n')
		if strings.TrimRight(line, "\r\n") == dash {
			break
		}
		if err != nil || i > 100 || len(line) > 4096 {
			return nil, "", fmt.Errorf("%w: multipart body without a part", store.ErrInvalid)
		}
	}
	hdr, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		return nil, "", fmt.Errorf("%w: multipart part headers: %v", store.ErrInvalid, err)
	}
	filename := ""
	if _, params, err := mime.ParseMediaType(hdr.Get("Content-Disposition")); err == nil {
		filename = params["filename"]
	}
	return &partReader{br: br, delim: []byte("\n" + dash)}, filename, nil
}

// partReader reads up to the next boundary delimiter.
type partReader struct {
	br    *bufio.Reader
	delim []byte
	done  bool
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	buf, err := p.br.Peek(p.br.Size())
	if i := bytes.Index(buf, p.delim); i >= 0 {
		end := i
		if end > 0 && buf[end-1] == '\r' {
			end--
		}
		n := copy(b, buf[:end])
		_, _ = p.br.Discard(n)
		if n == end {
			p.done = true
		}
		return n, nil
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: multipart body ends before its closing boundary", store.ErrIncomplete)
		}
		return 0, err
	}
	n := copy(b, buf[:len(buf)-len(p.delim)-1])
	_, _ = p.br.Discard(n)
	return n, nil
}
