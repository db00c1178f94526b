package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

type fakeBackend struct {
	mu      sync.Mutex
	secrets map[string]string
	err     error
	delay   time.Duration
}

func (f *fakeBackend) Get(s, u string) (string, error) {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.secrets[s+"/"+u]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(s, u, p string) error {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.secrets[s+"/"+u] = p
	return nil
}

func (f *fakeBackend) Delete(s, u string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.secrets[s+"/"+u]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(f.secrets, s+"/"+u)
	return nil
}

const server = "http://127.0.0.1:5873"

func TestSystemKeyring(t *testing.T) {
	b := &fakeBackend{secrets: map[string]string{}}
	s := &Store{System: b, File: filepath.Join(t.TempDir(), "tokens.json")}
	loc, err := s.Set(server, "drok_a")
	if err != nil || loc.InFile() {
		t.Fatalf("Set = %v, %v; want the system keyring", loc, err)
	}
	if _, err := os.Stat(s.File); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plain file written although the keyring works: %v", err)
	}
	tok, loc, err := s.Get(server)
	if err != nil || tok != "drok_a" || loc.InFile() {
		t.Fatalf("Get = %q, %v, %v", tok, loc, err)
	}
	if err := s.Delete(server); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestFallbackToPlainFile(t *testing.T) {
	for name, b := range map[string]*fakeBackend{
		"unavailable": {err: errors.New("no secret service")},
		"hangs":       {secrets: map[string]string{}, delay: time.Second},
		"disabled":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			s := &Store{Timeout: 50 * time.Millisecond, File: filepath.Join(t.TempDir(), "cfg", "tokens.json")}
			if b != nil {
				s.System = b
			}
			loc, err := s.Set(server, "drok_b")
			if err != nil || !loc.InFile() || loc.File != s.File {
				t.Fatalf("Set = %v, %v; want the plain file", loc, err)
			}
			if loc.String() != "plain file "+s.File {
				t.Errorf("Location = %q", loc)
			}
			st, err := os.Stat(s.File)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("token file: %v, %v; want mode 0600", st, err)
			}
			if _, err := s.Set("http://other:1", "drok_c"); err != nil {
				t.Fatal(err)
			}
			tok, loc, err := s.Get(server)
			if err != nil || tok != "drok_b" || !loc.InFile() {
				t.Fatalf("Get = %q, %v, %v", tok, loc, err)
			}
			if err := s.Delete(server); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Get(server); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: %v", err)
			}
			if tok, _, err := s.Get("http://other:1"); err != nil || tok != "drok_c" {
				t.Fatalf("other server's token lost: %q, %v", tok, err)
			}
		})
	}
}

func TestKeyringRecoversFromFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens.json")
	broken := &Store{System: &fakeBackend{err: errors.New("locked")}, File: file}
	if _, err := broken.Set(server, "drok_old"); err != nil {
		t.Fatal(err)
	}
	b := &fakeBackend{secrets: map[string]string{}}
	working := &Store{System: b, File: file}
	if tok, loc, err := working.Get(server); err != nil || tok != "drok_old" || !loc.InFile() {
		t.Fatalf("Get = %q, %v, %v; want the file's token", tok, loc, err)
	}
	if _, err := working.Set(server, "drok_new"); err != nil {
		t.Fatal(err)
	}
	if tok, loc, err := working.Get(server); err != nil || tok != "drok_new" || loc.InFile() {
		t.Fatalf("Get = %q, %v, %v; want the keyring's token", tok, loc, err)
	}
	if tok, _, _ := (&Store{File: file}).Get(server); tok != "" {
		t.Errorf("plain file still holds a token after moving to the keyring")
	}
}
