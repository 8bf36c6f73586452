# reaper: `make help` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
PREFIX ?= /usr/local
DESTDIR ?=
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN := bin/reaper
FUZZTIME ?= 30s
STATICCHECK_VERSION := v0.8.2
# nfpm builds the Debian package (make deb); run from the Go module proxy, never a dependency in go.mod.
NFPM_VERSION := v2.48.0
# The date in the man pages: the last commit's, so a rebuild of the same tree writes the same pages.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

.PHONY: deb check-deb check-install check-alerts help build completions man test vet fmt-check lint policy-test demo bench bench-cycle perf-doc bench-report fuzz fuzz-ci reliability reliability-long check-systemd install clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/reaper
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/reaper

completions: build ## shell completion for bash, zsh, fish: bin/completions/reaper.bash, _reaper, reaper.fish
	mkdir -p bin/completions
	./$(BIN) completion bash > bin/completions/reaper.bash
	./$(BIN) completion zsh > bin/completions/_reaper
	./$(BIN) completion fish > bin/completions/reaper.fish

man: build ## a man page per command and subcommand in bin/man/*.1, from the CLI's own definitions
	rm -rf bin/man
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) ./$(BIN) __gen-man bin/man

test: vet fmt-check ## vet, gofmt check, race-enabled tests, the Rego policy tests; a banner on stderr names tests skipped for want of chromium or PostgreSQL
	@mkdir -p bin && rm -f bin/skipped-tests
	REAPER_SKIP_FILE=$(CURDIR)/bin/skipped-tests $(GO) test -race -count=1 -timeout 20m ./...; \
	  status=$$?; [ $$status = 0 ] || ./scripts/skip-banner.sh bin/skipped-tests; exit $$status
	$(GO) run ./cmd/reaper policy test policies/
	@./scripts/skip-banner.sh bin/skipped-tests

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: vet fmt-check ## vet, gofmt, staticcheck, govulncheck (from the Go module proxy; VULNDB=file:///path for an offline copy)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0 $(if $(VULNDB),-db $(VULNDB)) ./...

policy-test: ## run the bundled Rego policy tests
	$(GO) run ./cmd/reaper policy test -v policies/

demo: build ## the simulator with a sample fleet, then `reaper plan` against it
	./$(BIN) demo

bench: ## benchmarks: listing, simulator, policy, state, enrichment, whole cycles (figures in docs/PERFORMANCE.md)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./internal/zen/ ./internal/zen/zensim/ ./internal/policy/ ./internal/state/ ./internal/enrich/
	$(GO) test -run '^$$' -bench 'BenchmarkCycle10k$$|BenchmarkCycleScale|BenchmarkCycle100kWarmTraffic|BenchmarkEnrichRate' -benchtime 1x -timeout 30m ./test/e2e/

bench-report: ## the HTML report of 100,000 instances opened and filtered in headless Chromium (CHROMIUM=path): size, times, and where the time goes
	$(GO) test -run '^$$' -bench 'BenchmarkHTMLReport100k(Phases)?$$' -benchtime 5x -timeout 20m ./internal/report/

bench-cycle: build ## issue 14's figures in one run: policy vs plain Go, plan at 10k/100k/300k (RSS, report time), idle daemon, in-process cycle; subsets: STEPS, PLAN_SIZES (scripts/bench-cycle.sh)
	./scripts/bench-cycle.sh

perf-doc: ## splice the last bench-cycle run (bin/bench-cycle/results.md) into docs/PERFORMANCE.md
	./scripts/perf-doc.sh

fuzz: ## run every fuzz target for FUZZTIME (default 30s each)
	./scripts/fuzz.sh $(FUZZTIME)

fuzz-ci: ## the fuzz targets, briefly, as CI runs them
	./scripts/fuzz.sh $${FUZZ_CI_TIME:-30s}

reliability: ## fault and crash suites (short version)
	$(GO) test -race -count=1 -run 'TestFault|TestCrash' ./test/e2e/

reliability-long: ## fault and crash suites, long version
	REAPER_LONG=1 $(GO) test -count=1 -timeout 60m -run 'TestFault|TestCrash' ./test/e2e/

check-systemd: build ## systemd-analyze verify and security score of systemd/reaper.service
	./scripts/check-systemd.sh $(abspath $(BIN))

check-alerts: ## check docs/alerts.yml and its unit test with promtool (needs promtool on PATH)
	promtool check rules docs/alerts.yml
	promtool test rules docs/alerts_test.yml

install: build ## install binary, unit, example config and policies under $(DESTDIR)$(PREFIX)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/reaper
	install -d -m 0755 $(DESTDIR)/etc/systemd/system
	sed 's|/usr/local/bin/reaper|$(PREFIX)/bin/reaper|g' systemd/reaper.service > $(DESTDIR)/etc/systemd/system/reaper.service
	chmod 0644 $(DESTDIR)/etc/systemd/system/reaper.service
	install -D -m 0644 config.example.yaml $(DESTDIR)/etc/reaper/config.example.yaml
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/reaper/policies
	install -m 0644 $(filter-out %_test.rego,$(wildcard policies/*.rego)) policies/params.json $(DESTDIR)$(PREFIX)/share/reaper/policies/

deb: man completions ## build bin/reaper_<version>_amd64.deb (nfpm; version rule in scripts/deb-version.sh)
	NFPM_VERSION=$(NFPM_VERSION) GO=$(GO) ./scripts/build-deb.sh

check-deb: ## build the .deb, inspect it with dpkg-deb and install it into a throwaway root (needs dpkg)
	./scripts/check-deb.sh

check-install: ## make install into a temporary root with PREFIX=/usr and check what lands there
	./scripts/check-install.sh

clean: ## remove build output
	rm -rf bin dist .demo
