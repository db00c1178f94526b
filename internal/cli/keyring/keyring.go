// Package keyring stores drok tokens, one per server: in the system
// keyring when one answers in time, otherwise in a 0600 plain file in the
// configuration directory (headless machines), which callers must warn
// about.
package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// Service is the keyring service name drok's tokens are stored under.
const Service = "drok"

// DefaultTimeout bounds every call to the system keyring.
const DefaultTimeout = 3 * time.Second

// ErrNotFound reports that no token is stored for a server.
var ErrNotFound = errors.New("no token stored")

// errTimeout reports a keyring that did not answer in time.
var errTimeout = errors.New("system keyring did not answer in time")

// Backend is a secret store keyed by service and user (go-keyring's API).
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type systemBackend struct{}

func (systemBackend) Get(s, u string) (string, error) { return gokeyring.Get(s, u) }
func (systemBackend) Set(s, u, p string) error        { return gokeyring.Set(s, u, p) }
func (systemBackend) Delete(s, u string) error        { return gokeyring.Delete(s, u) }

// Location says where a token is stored.
type Location struct {
	// File is the plain file holding the token; empty for the system keyring.
	File string
}

// InFile reports whether the token is in the plain file.
func (l Location) InFile() bool { return l.File != "" }

func (l Location) String() string {
	if l.InFile() {
		return "plain file " + l.File
	}
	return "system keyring"
}

// Store keeps tokens keyed by server URL.
type Store struct {
	// System is the system keyring; nil disables it (plain file only).
	System Backend
	// Timeout bounds each system keyring call.
	Timeout time.Duration
	// File is the fallback plain file (JSON object server → token, 0600).
	File string
}

// New returns a store using the system keyring and dir/tokens.json as
// fallback. DROK_NO_KEYRING=1 skips the system keyring.
func New(dir string) *Store {
	s := &Store{System: systemBackend{}, Timeout: DefaultTimeout, File: filepath.Join(dir, "tokens.json")}
	if v := os.Getenv("DROK_NO_KEYRING"); v != "" && v != "0" && v != "false" {
		s.System = nil
	}
	return s
}

func (s *Store) call(f func() error) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errTimeout
	}
}

// Get returns the token stored for server and where it is.
func (s *Store) Get(server string) (string, Location, error) {
	if s.System != nil {
		var token string
		err := s.call(func() (err error) {
			token, err = s.System.Get(Service, server)
			return err
		})
		if err == nil {
			return token, Location{}, nil
		}
	}
	tokens, err := s.readFile()
	if err != nil {
		return "", Location{}, err
	}
	if t, ok := tokens[server]; ok && t != "" {
		return t, Location{File: s.File}, nil
	}
	return "", Location{}, ErrNotFound
}

// Set stores token for server: in the system keyring if it works, else in
// the plain file. The returned Location says which.
func (s *Store) Set(server, token string) (Location, error) {
	if s.System != nil {
		err := s.call(func() error { return s.System.Set(Service, server, token) })
		if err == nil {
			if err := s.deleteFromFile(server); err != nil && !errors.Is(err, ErrNotFound) {
				return Location{}, err
			}
			return Location{}, nil
		}
	}
	tokens, err := s.readFile()
	if err != nil {
		return Location{}, err
	}
	tokens[server] = token
	if err := s.writeFile(tokens); err != nil {
		return Location{}, err
	}
	return Location{File: s.File}, nil
}

// Delete removes the token of server from both places; ErrNotFound when
// neither had one.
func (s *Store) Delete(server string) error {
	found := false
	if s.System != nil {
		err := s.call(func() error { return s.System.Delete(Service, server) })
		found = err == nil
	}
	err := s.deleteFromFile(server)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound) && found:
		return nil
	default:
		return err
	}
}

func (s *Store) deleteFromFile(server string) error {
	tokens, err := s.readFile()
	if err != nil {
		return err
	}
	if _, ok := tokens[server]; !ok {
		return ErrNotFound
	}
	delete(tokens, server)
	return s.writeFile(tokens)
}

func (s *Store) readFile() (map[string]string, error) {
	tokens := map[string]string{}
	data, err := os.ReadFile(s.File)
	if errors.Is(err, fs.ErrNotExist) {
		return tokens, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	if err := json.Unmarshal(data, &tokens); err != nil {
		return nil, fmt.Errorf("read tokens from %s: %w", s.File, err)
	}
	return tokens, nil
}

func (s *Store) writeFile(tokens map[string]string) error {
	dir := filepath.Dir(s.File)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	data, err := json.MarshalIndent(tokens, "", "  ")
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tokens-*.json")
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("store token: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("store token: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.File); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	return nil
}
