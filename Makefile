# secretsgen — every task a developer or CI runs.
#
#   make demo            load the example settings on the env backend and print them
#   make test            vet, staticcheck, check-generate and the whole test suite under -race
#   make lint            gofmt -l, go vet and staticcheck (v0.8.2, from the Go module proxy)
#   make generate        regenerate gen/ from secrets.yaml
#   make check-generate  fail when gen/ is stale
#   make bench           every benchmark, side by side
#   make vault           build (or reuse a cached) Vault v1.14.1 into bin/vault
#   make fleet           simulate 10/100/1000 replicas loading from Secrets Manager (docs/fleet.md)
#   make fleet-steady    simulate 1000 replicas polling with runtime.Live (docs/fleet.md)
#   make creds           the credential proofs (TestCreds*, internal/testing/rotation) for 2 minutes each, their numbers printed
#   make model           200,000 random sequences of Live over Cache against the model, 20,000 over the files backend (docs/rotation.md)

GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
export PATH := $(CURDIR)/bin:$(PATH)

.PHONY: demo demo-broken test lint generate check-generate bench vault fmt vet fleet fleet-steady model creds

demo:
	SECRETS_BACKEND=env SECRETS_ENV_FILE=cmd/demo/demo.env $(GO) run ./cmd/demo

demo-broken:
	-SECRETS_BACKEND=env SECRETS_ENV_FILE=cmd/demo/broken.env $(GO) run ./cmd/demo

# No test in make test asserts a wall-clock time (a busy machine must not fail
# it): the fleet's timing checks run in make fleet and make fleet-steady
# (-fleet.timing, without -race), and timings elsewhere are benchmarks. The
# Live model's 10,000 sequences (1,000 ran under -race) run once without it.
test: vault lint
	$(MAKE) --no-print-directory check-generate
	$(GO) test -race -shuffle=on -timeout 20m ./...
	$(GO) test -run '^TestLiveModel' -count=1 ./runtime ./adapters/files

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

generate:
	$(GO) generate ./gen

check-generate:
	$(GO) run ./cmd/secretsgen generate -manifest secrets.yaml -out gen -check
	$(GO) run ./cmd/secretsgen generate -manifest internal/testing/canary/secrets.yaml -out internal/testing/canary/kitchen -check
	$(GO) run ./cmd/secretsgen generate -manifest internal/testing/rotation/creds/secrets.yaml -out internal/testing/rotation/creds -check

bench: vault
	$(GO) test -run '^$$' -bench . -benchmem ./...

vault: bin/vault

# creds runs the credential proofs on real servers (Vault database engine
# and Secrets Manager with PostgreSQL) for 2 minutes each instead of make
# test's 40 s (-creds.long); each logs its numbers in one line ("proof a: ...").
creds: vault
	$(GO) test -v -run '^TestCreds' -count=1 -timeout 30m ./internal/testing/rotation -creds.long

# fleet and fleet-steady first run the short simulations with their
# wall-clock checks (-fleet.timing), then print the table. Run them on a
# quiet machine: they measure time.
fleet:
	$(GO) test -v -run '^(TestShortFleet|TestSpread|TestTimeScaleShape|TestFleetTable)$$' -count=1 -timeout 60m ./internal/testing/fleet -fleet.timing -fleet.full $(FLEET_FLAGS)

model:
	LIVEMODEL_SEQUENCES=200000 $(GO) test -run '^TestLiveModel' -count=1 -timeout 120m -v ./runtime
	LIVEMODEL_SEQUENCES=20000 $(GO) test -run '^TestLiveModel' -count=1 -timeout 120m -v ./adapters/files

fleet-steady:
	$(GO) test -v -run '^(TestSteadyShort|TestSteadyTable)$$' -count=1 -timeout 60m ./internal/testing/fleet -fleet.timing -fleet.steady $(FLEET_FLAGS)

bin/vault: .ci/build-vault.sh
	bash .ci/build-vault.sh bin/vault

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...
