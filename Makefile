# fiscalhub - the two commands are `make run` and `make test` (see README.md).
RELEASE := build/release
ASAN := build/asan
BENCH := build/bench

.PHONY: all deps deps-test deps-bench build build-asan web run test bench docs clean

all: build

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

deps-bench:
	@scripts/install-deps.sh bench

$(RELEASE)/build.ninja:
	meson setup $(RELEASE) --buildtype=release -Db_ndebug=false >/dev/null

$(BENCH)/build.ninja:
	meson setup $(BENCH) --buildtype=release -Db_ndebug=false >/dev/null

$(ASAN)/build.ninja:
	meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

build: deps $(RELEASE)/build.ninja web
	ninja -C $(RELEASE)

build-asan: $(ASAN)/build.ninja
	ninja -C $(ASAN)

web:
	@npm run --silent build >/dev/null

run: build
	@scripts/run.sh

test: deps-test build build-asan
	@tests/run.sh

# The benchmarks of bench/README.md (all five; bench/run.sh <names> for some).
bench: deps-bench $(BENCH)/build.ninja
	ninja -C $(BENCH)
	@bench/run.sh

docs: build
	$(RELEASE)/fh-errdoc > docs/errors.md

clean:
	rm -rf build web/dist
