# zkafka: make build | test | race | fuzz | interop | bench
GO ?= go
BIN := bin/zkafka
FUZZTIME ?= 10s

.PHONY: build test race fuzz interop bench vet clean

build:
	$(GO) build -o $(BIN) ./cmd/zkafka

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

# The test command README gives; .ci/run runs it.
test: vet
	$(GO) test -race -count=1 ./...

# A short run of every fuzz target (one target per `go test -fuzz` call); FUZZPKGS limits the
# packages (default ./...), FUZZFLAGS=--report-only reports a find without failing.
fuzz:
	@GO=$(GO) PKGS="$(FUZZPKGS)" scripts/fuzz.sh $(FUZZTIME) $(FUZZFLAGS)

# Real ZooKeeper (and later Kafka) tools against a running zkafka.
interop: build
	scripts/interop.sh $(BIN)
	scripts/interop-kafka.sh $(BIN)

bench: build
	@echo "see docs/benchmarks.md for the commands and numbers"

clean:
	rm -rf bin
