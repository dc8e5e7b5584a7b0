# cloudlet: `make run` starts the server, `make test` runs every test. Both install what they need.
GO      ?= go
BIN     := bin/cloudlet
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SOAK     ?= 10m
SOAK_KILLS ?= 30

# libvips prints decoder warnings for the corrupt images the tests feed it on purpose.
export VIPS_WARNING := 0

.PHONY: all deps build run test unit fuzz compat soak bench bench-deps clean

all: build

# System packages: libvips for the image engine (cgo), Node.js for the SDK suite. Idempotent. Each
# is installed only when missing: a Node.js from elsewhere (NodeSource's bundles npm) stays, since
# Debian's npm package would conflict with it.
deps:
	@pkgs=""; \
	pkg-config --exists vips 2>/dev/null || pkgs="libvips-dev pkg-config"; \
	command -v node >/dev/null || pkgs="$$pkgs nodejs"; \
	command -v npm >/dev/null || pkgs="$$pkgs npm"; \
	if [ -n "$$pkgs" ]; then \
		echo "installing $$pkgs"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$pkgs >/dev/null; \
	fi

build: deps
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve

test: deps unit fuzz compat

unit:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Each fuzz target briefly (about 10 s each here), from its committed seed corpus. Budgets are
# execution counts, not durations: a -fuzztime duration can end in a spurious "context deadline
# exceeded" failure (golang/go#75804). Minimising a find is kept short.
FUZZ := $(GO) test -run='^$$' -fuzzminimizetime=5s
fuzz:
	$(FUZZ) -fuzz='^FuzzParse$$' -fuzztime=200000x ./transform/
	$(FUZZ) -fuzz='^FuzzSearchExpression$$' -fuzztime=30000x ./store/
	$(FUZZ) -fuzz='^FuzzDeliveryPath$$' -fuzztime=30000x ./httpapi/
	$(FUZZ) -fuzz='^FuzzUploadSignature$$' -fuzztime=50000x ./httpapi/
	$(FUZZ) -fuzz='^FuzzUploadRequest$$' -fuzztime=10000x ./httpapi/

compat: build
	CLOUDLET_BIN="$(CURDIR)/$(BIN)" bash compat/run.sh

# The long reliability runs: the soak for $(SOAK) and the crash test with $(SOAK_KILLS) kills.
# (make test runs both briefly: a 20-second soak and 5 kills.)
soak: deps
	CLOUDLET_SOAK=$(SOAK) CLOUDLET_CRASH_KILLS=$(SOAK_KILLS) $(GO) test -count=1 -timeout 60m -v \
		-run '^(TestSoak|TestCrashSafety)$$' .

# The benchmark (not part of test): wrk drives cloudlet, Go's file server and nginx on loopback;
# prints a table with PASS/FAIL per target and writes bench/results.json. A few minutes.
bench: build bench-deps
	$(GO) run ./bench -cloudlet $(BIN) -out bench/results.json $(BENCHFLAGS)

bench-deps:
	@if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then \
		echo "installing wrk, nginx"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk nginx >/dev/null; \
	fi

clean:
	rm -rf bin
