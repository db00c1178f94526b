# OCI e2e tests: skopeo (Debian), crane, oras and the distribution-spec
# conformance suite (Go binaries in $(go env GOPATH)/bin, already on PATH).
if ! need skopeo; then
  apt_install skopeo
fi
if ! need crane; then
  go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
if ! need oras; then
  go install oras.land/oras/cmd/oras@v1.3.6
fi
if ! need conformance; then
  go install github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111
fi
