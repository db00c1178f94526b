package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"strings"
)

// wheel is one generated distribution file.
type wheel struct {
	Project  string // project name as published
	Version  string
	Filename string
	Data     []byte
}

func module(project string) string { return strings.ReplaceAll(project, "-", "_") }

func wheelMeta(project, version string) (distInfo string, files map[string]string) {
	distInfo = module(project) + "-" + version + ".dist-info"
	return distInfo, map[string]string{
		module(project) + "/__init__.py": fmt.Sprintf("VERSION = %q\n", version),
		distInfo + "/METADATA":           "Metadata-Version: 2.1\nName: " + project + "\nVersion: " + version + "\nSummary: drok benchmark package\nRequires-Python: >=3.8\n",
		distInfo + "/WHEEL":              "Wheel-Version: 1.0\nGenerator: drok-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
}

func recordLine(name string, body []byte) string {
	sum := sha256.Sum256(body)
	return fmt.Sprintf("%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(body))
}

// smallWheel builds a valid pure-Python wheel of project and version.
func smallWheel(project, version string) (wheel, error) {
	distInfo, files := wheelMeta(project, version)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, name := range []string{module(project) + "/__init__.py", distInfo + "/METADATA", distInfo + "/WHEEL"} {
		w, err := zw.Create(name)
		if err != nil {
			return wheel{}, err
		}
		if _, err := io.WriteString(w, files[name]); err != nil {
			return wheel{}, err
		}
		record.WriteString(recordLine(name, []byte(files[name])))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	w, err := zw.Create(distInfo + "/RECORD")
	if err != nil {
		return wheel{}, err
	}
	if _, err := io.WriteString(w, record.String()); err != nil {
		return wheel{}, err
	}
	if err := zw.Close(); err != nil {
		return wheel{}, err
	}
	return wheel{Project: project, Version: version, Filename: module(project) + "-" + version + "-py3-none-any.whl", Data: buf.Bytes()}, nil
}

// writeBigWheel writes a valid wheel of about size bytes to path: the
// metadata files plus one stored (uncompressed) data file of random
// bytes, so the upload cannot be compressed away. It returns the
// filename the wheel must be uploaded as.
func writeBigWheel(path, project, version string, size int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("create big wheel: %w", err)
	}
	defer f.Close()
	distInfo, files := wheelMeta(project, version)
	zw := zip.NewWriter(f)
	var record strings.Builder
	for _, name := range []string{module(project) + "/__init__.py", distInfo + "/METADATA", distInfo + "/WHEEL"} {
		w, err := zw.Create(name)
		if err != nil {
			return "", err
		}
		if _, err := io.WriteString(w, files[name]); err != nil {
			return "", err
		}
		record.WriteString(recordLine(name, []byte(files[name])))
	}
	// The random payload: written once to compute its CRC and hash, as a
	// stored entry (CreateRaw with the CRC known up front).
	rng := rand.NewChaCha8([32]byte{42})
	crc := crc32.NewIEEE()
	h := sha256.New()
	chunk := make([]byte, 1<<20)
	dataName := module(project) + "/payload.bin"
	hdr := &zip.FileHeader{Name: dataName, Method: zip.Store, UncompressedSize64: uint64(size), CompressedSize64: uint64(size)}
	// First pass: CRC and sha256 of the payload.
	for left := size; left > 0; {
		n := int64(len(chunk))
		if left < n {
			n = left
		}
		_, _ = rng.Read(chunk[:n])
		crc.Write(chunk[:n])
		h.Write(chunk[:n])
		left -= n
	}
	hdr.CRC32 = crc.Sum32()
	w, err := zw.CreateRaw(hdr)
	if err != nil {
		return "", err
	}
	rng = rand.NewChaCha8([32]byte{42})
	for left := size; left > 0; {
		n := int64(len(chunk))
		if left < n {
			n = left
		}
		_, _ = rng.Read(chunk[:n])
		if _, err := w.Write(chunk[:n]); err != nil {
			return "", fmt.Errorf("write big wheel: %w", err)
		}
		left -= n
	}
	sum := h.Sum(nil)
	fmt.Fprintf(&record, "%s,sha256=%s,%d\n", dataName, base64.RawURLEncoding.EncodeToString(sum), size)
	record.WriteString(distInfo + "/RECORD,,\n")
	w, err = zw.Create(distInfo + "/RECORD")
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, record.String()); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("finish big wheel: %w", err)
	}
	return module(project) + "-" + version + "-py3-none-any.whl", nil
}
