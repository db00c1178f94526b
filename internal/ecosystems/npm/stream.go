package npm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// ErrJSON reports a request body that is not well-formed JSON.
var ErrJSON = fmt.Errorf("%w: malformed JSON", ErrManifest)

// PublishDoc is an npm publish (or metadata update) document with the
// attachment data left out: attachment contents are handed to a DataFunc
// while the body streams by.
type PublishDoc struct {
	// ID, Name and Rev are the "_id", "name" and "_rev" strings ("" when absent).
	ID, Name, Rev string
	// DistTags is the "dist-tags" object.
	DistTags map[string]string
	// Versions holds each version manifest as raw JSON; nil when the
	// document has no "versions" key.
	Versions map[string]json.RawMessage
	// Attachments describes each "_attachments" entry.
	Attachments []Attachment
}

// Attachment describes one entry of "_attachments".
type Attachment struct {
	Name        string
	ContentType string
	// Length is the declared "length", or -1 when absent.
	Length int64
	// HasData is true when a "data" string was present.
	HasData bool
}

// DataFunc receives the JSON-unescaped content of an attachment's "data"
// string (still base64) as it streams in. doc holds the fields parsed so
// far (npm sends "versions" before "_attachments"). Whatever fn leaves
// unread is discarded; an error aborts parsing.
type DataFunc func(doc *PublishDoc, name string, data io.Reader) error

// DefaultMetaLimit bounds the bytes of a publish document outside
// attachment data.
const DefaultMetaLimit = 32 << 20

// maxAttachments bounds the "_attachments" entries of one document.
const maxAttachments = 4

// ParsePublish reads an npm publish document from r without ever holding
// attachment data in memory. metaLimit bounds everything else. Errors wrap
// ErrJSON / ErrManifest (400), ecosystems.ErrTooLarge (413), the error of
// fn, or the underlying read error (e.g. *http.MaxBytesError, wrapped
// together with store.ErrInvalid), which takes precedence.
func ParsePublish(r io.Reader, metaLimit int64, fn DataFunc) (*PublishDoc, error) {
	rec := &recordReader{r: r}
	j := &jsonReader{br: bufio.NewReaderSize(rec, 64<<10), limit: metaLimit}
	doc, err := j.document(fn)
	if rec.err != nil {
		return nil, fmt.Errorf("%w: read request body: %w", store.ErrInvalid, rec.err)
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// recordReader remembers the first non-EOF error of the underlying reader.
type recordReader struct {
	r   io.Reader
	err error
}

func (r *recordReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

type jsonReader struct {
	br    *bufio.Reader
	used  int64
	limit int64
}

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrJSON, fmt.Sprintf(format, args...))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next consumes whitespace and returns the next byte.
func (j *jsonReader) next() (byte, error) {
	for {
		c, err := j.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, syntaxErr("unexpected end of document")
			}
			return 0, err
		}
		if !isSpace(c) {
			return c, nil
		}
	}
}

// peek returns the next non-space byte without consuming it.
func (j *jsonReader) peek() (byte, error) {
	c, err := j.next()
	if err != nil {
		return 0, err
	}
	_ = j.br.UnreadByte()
	return c, nil
}

func (j *jsonReader) expect(want byte) error {
	c, err := j.next()
	if err != nil {
		return err
	}
	if c != want {
		return syntaxErr("expected %q, found %q", want, c)
	}
	return nil
}

func (j *jsonReader) count(n int) error {
	j.used += int64(n)
	return j.over(0)
}

// over reports an error when the metadata read so far plus pending bytes
// exceeds the limit.
func (j *jsonReader) over(pending int) error {
	if j.limit > 0 && j.used+int64(pending) > j.limit {
		return fmt.Errorf("%w: package metadata is larger than %d bytes", ecosystems.ErrTooLarge, j.limit)
	}
	return nil
}

// raw copies one complete JSON value and checks that it is well formed.
func (j *jsonReader) raw() (json.RawMessage, error) {
	var buf bytes.Buffer
	c, err := j.next()
	if err != nil {
		return nil, err
	}
	buf.WriteByte(c)
	switch c {
	case '"':
		if err := j.copyString(&buf); err != nil {
			return nil, err
		}
	case '{', '[':
		depth := 1
		for depth > 0 {
			b, err := j.br.ReadByte()
			if err != nil {
				return nil, syntaxErr("unexpected end of document")
			}
			buf.WriteByte(b)
			switch b {
			case '"':
				if err := j.copyString(&buf); err != nil {
					return nil, err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			if err := j.over(buf.Len()); err != nil {
				return nil, err
			}
		}
	default:
		for {
			b, err := j.br.ReadByte()
			if err != nil {
				break
			}
			if isSpace(b) || b == ',' || b == '}' || b == ']' {
				_ = j.br.UnreadByte()
				break
			}
			buf.WriteByte(b)
			if buf.Len() > 1024 {
				return nil, syntaxErr("literal too long")
			}
		}
	}
	if err := j.count(buf.Len()); err != nil {
		return nil, err
	}
	if !json.Valid(buf.Bytes()) {
		return nil, syntaxErr("invalid value %.40q", buf.String())
	}
	return buf.Bytes(), nil
}

// copyString copies the rest of a string (after its opening quote),
// escapes verbatim, up to and including the closing quote.
func (j *jsonReader) copyString(buf *bytes.Buffer) error {
	for {
		b, err := j.br.ReadByte()
		if err != nil {
			return syntaxErr("unterminated string")
		}
		buf.WriteByte(b)
		switch {
		case b == '"':
			return nil
		case b == '\\':
			e, err := j.br.ReadByte()
			if err != nil {
				return syntaxErr("unterminated string")
			}
			buf.WriteByte(e)
		case b < 0x20:
			return syntaxErr("control character in string")
		}
		if err := j.over(buf.Len()); err != nil {
			return err
		}
	}
}

func (j *jsonReader) key() (string, error) {
	c, err := j.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", syntaxErr("expected an object key, found %q", c)
	}
	raw, err := j.raw()
	if err != nil {
		return "", err
	}
	var k string
	if err := json.Unmarshal(raw, &k); err != nil {
		return "", syntaxErr("bad object key")
	}
	if err := j.expect(':'); err != nil {
		return "", err
	}
	return k, nil
}

// object calls fn for each key of an object; fn must consume the value.
// A null instead of the object calls nothing.
func (j *jsonReader) object(fn func(key string) error) error {
	c, err := j.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		_ = j.br.UnreadByte()
		raw, err := j.raw()
		if err != nil || string(raw) != "null" {
			return syntaxErr("expected an object")
		}
		return nil
	}
	if c != '{' {
		return syntaxErr("expected an object, found %q", c)
	}
	if c, err := j.peek(); err != nil {
		return err
	} else if c == '}' {
		_, _ = j.next()
		return nil
	}
	for {
		k, err := j.key()
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		c, err := j.next()
		if err != nil {
			return err
		}
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return syntaxErr("expected ',' or '}', found %q", c)
		}
	}
}

func (j *jsonReader) document(fn DataFunc) (*PublishDoc, error) {
	doc := &PublishDoc{}
	seen := map[string]bool{}
	err := j.object(func(key string) error {
		if seen[key] {
			return syntaxErr("duplicate key %q", key)
		}
		seen[key] = true
		switch key {
		case "_attachments":
			return j.attachments(doc, fn)
		case "versions":
			raw, err := j.raw()
			if err != nil {
				return err
			}
			if string(raw) != "null" {
				if err := json.Unmarshal(raw, &doc.Versions); err != nil {
					return fmt.Errorf("%w: \"versions\" must be an object of version manifests", ErrManifest)
				}
				if doc.Versions == nil {
					doc.Versions = map[string]json.RawMessage{}
				}
			}
		case "dist-tags":
			raw, err := j.raw()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(raw, &doc.DistTags); err != nil {
				return fmt.Errorf("%w: \"dist-tags\" must map tags to versions", ErrManifest)
			}
		case "_id", "name", "_rev":
			raw, err := j.raw()
			if err != nil {
				return err
			}
			var s string
			if string(raw) != "null" {
				if err := json.Unmarshal(raw, &s); err != nil {
					return fmt.Errorf("%w: %q must be a string", ErrManifest, key)
				}
			}
			switch key {
			case "_id":
				doc.ID = s
			case "name":
				doc.Name = s
			default:
				doc.Rev = s
			}
		default:
			_, err := j.raw()
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for {
		c, err := j.br.ReadByte()
		if err == io.EOF {
			return doc, nil
		}
		if err != nil {
			return nil, err
		}
		if !isSpace(c) {
			return nil, syntaxErr("data after the JSON document")
		}
	}
}

func (j *jsonReader) attachments(doc *PublishDoc, fn DataFunc) error {
	return j.object(func(name string) error {
		if len(doc.Attachments) >= maxAttachments {
			return fmt.Errorf("%w: too many attachments", ErrManifest)
		}
		att := Attachment{Name: name, Length: -1}
		seen := map[string]bool{}
		err := j.object(func(key string) error {
			if seen[key] {
				return syntaxErr("duplicate key %q in attachment %q", key, name)
			}
			seen[key] = true
			switch key {
			case "data":
				if err := j.expect('"'); err != nil {
					return fmt.Errorf("%w: attachment data must be a string", ErrManifest)
				}
				sr := &stringReader{br: j.br}
				if fn != nil {
					if err := fn(doc, name, sr); err != nil {
						return err
					}
				}
				if _, err := io.Copy(io.Discard, sr); err != nil {
					return err
				}
				att.HasData = true
			case "length":
				raw, err := j.raw()
				if err != nil {
					return err
				}
				if err := json.Unmarshal(raw, &att.Length); err != nil || att.Length < 0 {
					return fmt.Errorf("%w: attachment length must be a non-negative integer", ErrManifest)
				}
			case "content_type":
				raw, err := j.raw()
				if err != nil {
					return err
				}
				if err := json.Unmarshal(raw, &att.ContentType); err != nil {
					return fmt.Errorf("%w: attachment content_type must be a string", ErrManifest)
				}
			default:
				_, err := j.raw()
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		doc.Attachments = append(doc.Attachments, att)
		return nil
	})
}

// stringReader yields the unescaped content of a JSON string whose
// opening quote has been consumed, stopping after its closing quote.
type stringReader struct {
	br   *bufio.Reader
	pend []byte
	done bool
	err  error
}

func (s *stringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pend) > 0 {
			c := copy(p[n:], s.pend)
			s.pend = s.pend[c:]
			n += c
			continue
		}
		if s.done || s.err != nil {
			break
		}
		if _, err := s.br.Peek(1); err != nil {
			s.err = syntaxErr("unterminated string")
			if err != io.EOF {
				s.err = err
			}
			break
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		i := 0
		for i < len(chunk) && i < len(p)-n {
			c := chunk[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		copy(p[n:], chunk[:i])
		_, _ = s.br.Discard(i)
		n += i
		if i == len(chunk) || n == len(p) {
			continue
		}
		switch c := chunk[i]; {
		case c == '"':
			_, _ = s.br.Discard(1)
			s.done = true
		case c < 0x20:
			s.err = syntaxErr("control character in string")
		default:
			_, _ = s.br.Discard(1)
			s.pend, s.err = s.escape()
		}
	}
	if n > 0 {
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	return 0, io.EOF
}

// escape decodes one escape sequence after its backslash.
func (s *stringReader) escape() ([]byte, error) {
	e, err := s.br.ReadByte()
	if err != nil {
		return nil, syntaxErr("unterminated string")
	}
	switch e {
	case '"', '\\', '/':
		return []byte{e}, nil
	case 'b':
		return []byte{'\b'}, nil
	case 'f':
		return []byte{'\f'}, nil
	case 'n':
		return []byte{'\n'}, nil
	case 'r':
		return []byte{'\r'}, nil
	case 't':
		return []byte{'\t'}, nil
	case 'u':
		r, err := s.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) {
			if b, err := s.br.Peek(2); err == nil && b[0] == '\\' && b[1] == 'u' {
				_, _ = s.br.Discard(2)
				r2, err := s.hex4()
				if err != nil {
					return nil, err
				}
				r = utf16.DecodeRune(r, r2)
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.AppendRune(nil, r), nil
	}
	return nil, syntaxErr("bad escape \\%c", e)
}

func (s *stringReader) hex4() (rune, error) {
	var r rune
	for range 4 {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, syntaxErr("unterminated string")
		}
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, syntaxErr("bad \\u escape")
		}
	}
	return r, nil
}
