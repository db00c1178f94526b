# drok developer targets. Everything here is a thin wrapper around the Go
# toolchain and the scripts in bench/; see docs/benchmarks.md.

GO          ?= go
BIN         ?= drok
GORELEASER  ?= $(shell command -v goreleaser 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/goreleaser)
# v2.18 and later need a newer Go than the project's; v2.17.0 depends on a
# module the Go proxy does not serve here. v2.16.0 builds and passes.
GORELEASER_VERSION ?= v2.16.0
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X github.com/drok-dev/drok/internal/daemon.Version=$(VERSION)

.PHONY: build test bench completions release-check

## build: build ./drok for this machine
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/drok

## test: run every test
test:
	$(GO) test -count=1 -timeout 60m ./...

## bench: every benchmark under bench/ (results in bench/out/)
bench: $(patsubst bench/%/run.sh,bench-%,$(wildcard bench/*/run.sh))

## bench-ECO: one ecosystem's benchmark, e.g. bench-npm (drok vs Verdaccio 6.8.0)
bench-%:
	bench/$*/run.sh $(BENCHFLAGS)

## completions: regenerate completions/ (and the CLI reference in docs/cli)
completions:
	$(GO) generate ./internal/cli

## release-check: validate .goreleaser.yaml (installs GoReleaser if missing)
release-check: $(GORELEASER)
	$(GORELEASER) check

$(GORELEASER):
	$(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
