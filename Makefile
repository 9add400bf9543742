# arag: entry point. `make demo` and `make test` set themselves up on a fresh
# Debian 12 machine with Node 20 (scripts/setup.sh is idempotent).
SHELL := /bin/bash
export NODE_PATH := /usr/share/nodejs
JOBS ?= 2
PORT ?= 8080
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

NATIVE_DIR := build/native
ASAN_DIR := build/native-asan
TSAN_DIR := build/native-tsan
EM_DIR := build/emscripten
WASI_DIR := build/wasi
FUZZ_DIR := build/fuzz
# Data sets (items.jsonl + interactions.jsonl) live under ARAG_DATA_ROOT (default data/,
# git-ignored); the sample data set is generated into build/.
ARAG_DATA_ROOT ?= data
SAMPLE_DATA := build/data/sample-shop
# The long runs use amazon-beauty when it is there, else the sample data set.
LONG_DATA = $(if $(wildcard $(ARAG_DATA_ROOT)/amazon-beauty/items.jsonl),$(ARAG_DATA_ROOT)/amazon-beauty,$(SAMPLE_DATA))
EM_EMULATOR := -DCMAKE_CROSSCOMPILING_EMULATOR="/usr/bin/node;--no-experimental-fetch"

.PHONY: help all setup prompts abi native asan tsan wasm test test-native test-tsan test-wasm demo sample-data docs docs-check eval-figures tune-figures hardening-figures bundle-figures bench bench-demo bench-recommend bench-llm bench-catalog bench-edge fuzz fuzz-build fuzz-smoke soak format format-check function-length clean

all: wasm

help:
	@echo 'make demo          build and serve the storefront demo on http://127.0.0.1:$(PORT)/ (PORT=N'
	@echo '                   to change it; DATA=DIR serves a data set instead of the sample catalog)'
	@echo 'make test          everything CI runs: format, figures, native tests with sanitizers, fuzz'
	@echo '                   smoke, the module in Node, Chromium and workerd'
	@echo 'make wasm          dist/: the Emscripten and WASI modules, the JS host library, its types'
	@echo 'make native        the native library and tools (build/native)'
	@echo 'make prompts       src/agents/prompts_data.c from prompts/*.txt (committed; a test checks it)'
	@echo 'make abi           web/src/abi.mjs: enums and struct layouts from the module (committed; a test checks it)'
	@echo 'make asan          the native tests with ASan and UBSan (build/native-asan)'
	@echo 'make test-native   ctest on the ASan build;  make test-wasm: the node:test suites'
	@echo 'make test-tsan     threads sharing a catalog, under ThreadSanitizer (build/native-tsan)'
	@echo 'make sample-data   the sample data set (build/data/sample-shop)'
	@echo 'make eval-figures  evaluate every data set present, redraw docs/ tables'
	@echo 'make tune-figures  arag tune on each real data set present, redraw docs/evaluation.md'
	@echo 'make bench         the index and pipeline benchmarks, then bench-demo; redraw docs/ tables'
	@echo 'make bench-demo    the demo: click to shelf painted, alone and against DEMO_BEFORE'
	@echo 'make bench-recommend  one offline recommendation as the demo makes it, against RECOMMEND_BEFORE'
	@echo 'make bench-llm     prompt tokens and their shared prefix, streaming, memory, deadline'
	@echo 'make bench-catalog catalog snapshots: restore against build, memory (docs/catalog.md)'
	@echo 'make bench-edge    the edge worker in workerd: its catalog (cold, warm, swap), the attack figures'
	@echo 'make hardening-figures  the seeded fault, mutation and injection suites again (docs/hardening.md)'
	@echo 'make bundle-figures  bundle sizes of the host library with esbuild (docs/install.md)'
	@echo 'make golden        the outputs a refactoring keeps byte for byte (eval, prompts, snapshots)'
	@echo 'make docs          redraw the figures in README.md and docs/ from docs/figures/*.json'
	@echo 'make screenshots   the pictures of the demo in README.md and docs/demo.md, taken again'
	@echo 'make fuzz          each libFuzzer target for FUZZ_SECONDS (60)'
	@echo 'make soak          SOAK_N (10,000) recommendations: edge worker, LSan, valgrind'
	@echo 'make format        clang-format the C sources;  make clean: remove build/ and dist/'
	@echo 'make function-length  functions in src/ over 80 lines (make test runs it)'
	@echo 'Data sets are read under ARAG_DATA_ROOT (default data/); see docs/evaluation.md.'

# src/agents/prompts_data.c from prompts/*.txt (committed; the prompts_data test checks it).
prompts:
	cmake -DPROMPT_DIR=prompts -DOUT=src/agents/prompts_data.c -P cmake/embed_prompts.cmake

# web/src/abi.mjs from the module's description of itself (arag_abi_json): committed; the
# abi test fails when it differs from what either build exports.
abi: wasm
	node scripts/abi.mjs $(WASI_DIR)/arag-wasi.wasm
	cp web/src/abi.mjs dist/

# The set-up profile: everything, or (make demo) what building and serving the demo needs.
SETUP_PROFILE ?= all
setup:
	@bash scripts/setup.sh $(SETUP_PROFILE)

native: setup
	cmake -S . -B $(NATIVE_DIR) $(CMAKE_FLAGS) -DARAG_NATIVE_ARCH=ON >/dev/null
	cmake --build $(NATIVE_DIR) -j $(JOBS)

asan: setup
	CC=clang cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DARAG_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)

# The library and the shared-handle test under ThreadSanitizer (build/native-tsan).
tsan: setup
	CC=clang cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARAG_TSAN=ON >/dev/null
	cmake --build $(TSAN_DIR) -j $(JOBS) --target test_threads

# dist/: the Emscripten ES module, the WASI reactor, the JS host library and its types.
wasm: setup
	emcmake cmake -S . -B $(EM_DIR) $(CMAKE_FLAGS) $(EM_EMULATOR) >/dev/null
	cmake --build $(EM_DIR) -j $(JOBS)
	cmake -S . -B $(WASI_DIR) $(CMAKE_FLAGS) -DCMAKE_TOOLCHAIN_FILE=cmake/wasi.cmake >/dev/null
	cmake --build $(WASI_DIR) -j $(JOBS)
	@mkdir -p dist
	cp $(EM_DIR)/arag.mjs $(EM_DIR)/arag.wasm $(WASI_DIR)/arag-wasi.wasm dist/
	cp web/src/*.mjs web/src/*.d.ts dist/
	{ echo "The WebAssembly modules arag.wasm and arag-wasi.wasm contain cJSON, under this license:"; \
	  echo; cat third_party/cjson/LICENSE; } > dist/THIRD-PARTY-NOTICES.txt
	@echo "dist/: $$(ls dist | tr '\n' ' ')"

test-native: asan
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

# Threads search one catalog and recommend from it at once; any data race fails it.
test-tsan: tsan
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" $(TSAN_DIR)/test_threads

test-wasm: wasm native
	npx tsc -p web/tsconfig.json
	node --test --test-concurrency=1 wasm-tests/

# The node:test summary comes last: it is the closing line CI reads.
test: format-check function-length docs-check test-native test-tsan fuzz-smoke test-wasm

# The sample catalog by default; `make demo DATA=DIR` serves a data set instead.
demo: SETUP_PROFILE = demo
demo: wasm
	node web/demo/serve.mjs --port $(PORT) $(if $(DATA),--data "$(DATA)")

# The sample data set: the demo's fictional catalog and simulated shoppers (deterministic).
sample-data:
	node scripts/sample-data.mjs --out $(SAMPLE_DATA)

# The benchmarks write docs/figures/bench-*.json, then the figures in docs/ are redrawn.
# The pipeline benchmark profiles a build that keeps wasm function names (same code).
bench: wasm native sample-data
	emcmake cmake -S . -B build/emscripten-prof $(CMAKE_FLAGS) -DCMAKE_EXE_LINKER_FLAGS=--profiling-funcs $(EM_EMULATOR) >/dev/null
	cmake --build build/emscripten-prof -j $(JOBS) --target arag_em
	cp web/src/*.mjs build/emscripten-prof/
	node wasm-tests/bench/index.bench.mjs --json docs/figures/bench-index.json
	node wasm-tests/bench/pipeline.bench.mjs --data $(LONG_DATA) --json docs/figures/bench-pipeline.json
	node scripts/figures.mjs
	$(MAKE) bench-demo

# The storefront demo's click-to-shelf figures (docs/demo.md): this demo alone, the demo of
# commit DEMO_BEFORE alone, and the two side by side, each with 12 traced clicks (about 15
# minutes on 2 cores; DEMO_BEFORE must be in this clone's history).
DEMO_BEFORE ?= 712cdf9
DEMO_BEFORE_LABEL = the demo before these changes (web/demo at $(DEMO_BEFORE))
bench-demo: wasm sample-data
	rm -rf build/demo-before && mkdir -p build/demo-before
	git archive $(DEMO_BEFORE) web/demo | tar -x -C build/demo-before
	node wasm-tests/bench/demo-speed.bench.mjs --frame-trace 12 --json docs/figures/demo-speed-alone.json
	node wasm-tests/bench/demo-speed.bench.mjs --demo build/demo-before --label '$(DEMO_BEFORE_LABEL)' \
	  --frame-trace 12 --json docs/figures/demo-speed-before-alone.json
	node wasm-tests/bench/demo-speed.bench.mjs --versus build/demo-before --label '$(DEMO_BEFORE_LABEL)' \
	  --frame-trace 12 --json docs/figures/demo-speed.json
	node scripts/figures.mjs

# One offline recommendation as the demo's worker makes it (docs/benchmarks.md), this
# build side by side with RECOMMEND_BEFORE's (a commit in this clone's history: its
# module is built into build/recommend-before, a minute or two on 2 cores).
RECOMMEND_BEFORE ?= 712cdf9
bench-recommend: wasm sample-data
	rm -rf build/recommend-before && mkdir -p build/recommend-before
	git archive $(RECOMMEND_BEFORE) | tar -x -C build/recommend-before
	cp -r third_party build/recommend-before/
	cd build/recommend-before && emcmake cmake -S . -B build/em $(CMAKE_FLAGS) >/dev/null && \
	  cmake --build build/em -j $(JOBS) --target arag_em && mkdir -p dist && \
	  cp build/em/arag.mjs build/em/arag.wasm web/src/*.mjs dist/
	node wasm-tests/bench/recommend.bench.mjs --data $(LONG_DATA) --before build/recommend-before/dist \
	  --before-label $(RECOMMEND_BEFORE) --json docs/figures/bench-recommend.json
	node scripts/figures.mjs

# The LLM path's figures (docs/llm.md): prompt tokens on amazon-beauty (else the sample),
# streaming, a runaway answer, a hung provider; --hung-before waits out the no-deadline case
# (about six minutes).
bench-llm: wasm sample-data
	node wasm-tests/bench/llm.bench.mjs --data $(LONG_DATA) --hung-before --json docs/figures/llm.json
	node scripts/figures.mjs

# Catalog snapshots: restore against a build from items.jsonl and what a catalog holds, on
# the real data sets present, the sample and a generated 100,000-item catalog (a few minutes).
bench-catalog: wasm native sample-data
	node wasm-tests/bench/catalog.bench.mjs --json docs/figures/bench-catalog.json
	node scripts/figures.mjs

# The seeded hardening suites (native fault injection and allocation failures under ASan, the
# loaders' mutation fuzzing, wasm and HTTP fault injection, prompt injection), run again for
# the counts they print: docs/figures/hardening.json, drawn in docs/hardening.md.
hardening-figures: wasm asan sample-data
	node scripts/hardening-record.mjs --native $(ASAN_DIR) --json docs/figures/hardening.json
	node scripts/figures.mjs

# What the host library weighs in a bundle (esbuild, minified, and gzipped), by what an app
# imports: docs/figures/bundle-size.json, drawn in docs/install.md.
bundle-figures: wasm
	node scripts/bundle-figures.mjs --json docs/figures/bundle-size.json
	node scripts/figures.mjs

# The edge worker in workerd (Miniflare): a 10,000-item catalog, the threat model's figures.
bench-edge: wasm
	node wasm-tests/bench/edge-worker.bench.mjs --json docs/figures/edge-worker.json
	node scripts/figures.mjs

# The evaluation figures: the sample data set and each real data set present (those also on
# the validation split, and arag without S_user's Words, ira_text 0), offline reasoner, about a
# minute per data set; arag with an int8 catalog against f32 and the catalog's figures
# (eval_native); then the figures.
EVAL_METHODS := recency,rag,popularity,arag,arag-no-nli,arag-no-csa,arag-no-uua,arag-no-shift,arag-storefront
eval-figures: wasm native sample-data
	@for d in $(SAMPLE_DATA) $(ARAG_DATA_ROOT)/amazon-beauty $(ARAG_DATA_ROOT)/amazon-office; do \
	  n=$$(basename $$d); \
	  if [ ! -f $$d/items.jsonl ]; then echo "eval-figures: $$d not found: skipped (set ARAG_DATA_ROOT)"; continue; fi; \
	  node web/bin/arag.mjs eval --data $$d --methods $(EVAL_METHODS) --quiet \
	    --json docs/figures/eval-$$n.json --svg docs/figures/eval-$$n.svg >/dev/null || exit 1; \
	  if [ $$d != $(SAMPLE_DATA) ]; then node web/bin/arag.mjs eval --data $$d --methods $(EVAL_METHODS) \
	    --quiet --split valid --json docs/figures/eval-$$n-valid.json >/dev/null || exit 1; \
	    node web/bin/arag.mjs eval --data $$d --methods arag --config '{"reasoner":{"ira_text":0}}' \
	    --quiet --json docs/figures/no-words-$$n.json >/dev/null || exit 1; fi; \
	  echo "eval-figures: $$n done"; \
	done
	node scripts/int8-figures.mjs $(ARAG_DATA_ROOT)/amazon-beauty $(ARAG_DATA_ROOT)/amazon-office
	node scripts/figures.mjs

# arag tune on each real data set present (minutes per data set): the weights it moves and
# both splits' scores, drawn in docs/evaluation.md.
tune-figures: wasm
	@for d in $(ARAG_DATA_ROOT)/amazon-beauty $(ARAG_DATA_ROOT)/amazon-office; do \
	  n=$$(basename $$d); \
	  if [ ! -f $$d/items.jsonl ]; then echo "tune-figures: $$d not found: skipped (set ARAG_DATA_ROOT)"; continue; fi; \
	  node web/bin/arag.mjs tune --data $$d --quiet --json docs/figures/tune-$$n.json >/dev/null || exit 1; \
	  echo "tune-figures: $$n done"; \
	done
	node scripts/figures.mjs

# The demo's pictures in README.md and docs/demo.md, made by its Chromium suite, with what
# each shows (docs/images/*.json). Every make test takes them into build/screenshots/ and
# fails when the committed ones no longer show what the demo shows.
.PHONY: screenshots
screenshots: wasm
	ARAG_SCREENSHOTS=docs node --test wasm-tests/demo.chromium.test.mjs

# The outputs a refactoring must keep byte for byte (scripts/golden-outputs.mjs): compare
# two runs with diff -r (make golden GOLDEN_DIR=build/golden-before, change, make golden).
GOLDEN_DIR ?= build/golden
.PHONY: golden
golden: wasm sample-data
	node scripts/golden-outputs.mjs $(GOLDEN_DIR)

# Redraws every figures block in README.md and docs/ from docs/figures/*.json.
docs:
	node scripts/figures.mjs

docs-check:
	node scripts/figures.mjs --check

fuzz-build: setup
	CC=clang cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DARAG_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(notdir $(basename $(wildcard fuzz/fuzz_*.c)))

# Each libFuzzer target for FUZZ_SECONDS (default 60): executions and coverage per target,
# recorded in docs/figures/fuzz.json (each target's last run) and drawn in docs/hardening.md.
fuzz: fuzz-build
	FUZZ_JSON=docs/figures/fuzz.json bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)
	node scripts/figures.mjs

# Part of `make test`: replays fuzz/regressions/ and runs each target for 10 s.
fuzz-smoke: fuzz-build
	bash scripts/fuzz.sh $(FUZZ_DIR) 10

# Soak: SOAK_N recommendations through the edge worker in workerd with mixed faults
# (memory curve, handles), and natively under LeakSanitizer and valgrind (a build without
# -march=native: valgrind knows no AVX-512).
SOAK_N ?= 10000
SOAK_LOG := build/soak
# Each run's soak-summary line is recorded in docs/figures/soak.json (docs/hardening.md),
# failed runs too; the target fails when a run failed.
soak: wasm native asan sample-data
	@mkdir -p $(SOAK_LOG)
	node wasm-tests/soak/edge-soak.mjs --n $(SOAK_N) --data $(LONG_DATA) --json build/soak-edge.json 2>&1 | tee $(SOAK_LOG)/edge.log; \
	  s=$${PIPESTATUS[0]}; node scripts/soak-record.mjs docs/figures/soak.json edge $(SOAK_LOG)/edge.log "$(notdir $(LONG_DATA))" && exit $$s
	$(ASAN_DIR)/soak_native --n $(SOAK_N) --data $(LONG_DATA) 2>&1 | tee $(SOAK_LOG)/native-lsan.log; \
	  s=$${PIPESTATUS[0]}; node scripts/soak-record.mjs docs/figures/soak.json native-lsan $(SOAK_LOG)/native-lsan.log "$(notdir $(LONG_DATA))" && exit $$s
	@if command -v valgrind >/dev/null; then \
	  cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARAG_NATIVE_ARCH=OFF >/dev/null && \
	  cmake --build build/valgrind -j $(JOBS) --target soak_native && \
	  { valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=1 \
	    build/valgrind/soak_native --n $$(( $(SOAK_N) / 10 )) --data $(LONG_DATA) 2>&1 | tee $(SOAK_LOG)/native-valgrind.log; \
	    s=$${PIPESTATUS[0]}; node scripts/soak-record.mjs docs/figures/soak.json native-valgrind $(SOAK_LOG)/native-valgrind.log "$(notdir $(LONG_DATA))" && exit $$s; }; \
	else echo "valgrind not installed: skipped"; fi
	node scripts/figures.mjs

# The C sources: git's list, or the same files found on disk (a copy without git).
FORMAT_FILES = $(shell git ls-files 'include/*.h' 'src/*.c' 'src/*.h' 'src/**/*.c' 'tests/*.c' 'tests/*.h' 'tools/*.c' 'fuzz/*.c' 2>/dev/null || \
  { find include -name '*.h'; find src -name '*.[ch]'; find tests -maxdepth 1 -name '*.[ch]'; find tools fuzz -maxdepth 1 -name '*.c'; } | sort)
format:
	clang-format -i $(FORMAT_FILES)

format-check: setup
	@test -n "$(FORMAT_FILES)" || { echo "format-check: no C sources found"; exit 1; }
	clang-format --dry-run --Werror $(FORMAT_FILES)

# Functions in src/ over 80 lines fail, but for those scripts/function-length-allow.txt
# still names (`node scripts/function-length.mjs --list`: every function, longest first).
function-length:
	node scripts/function-length.mjs

clean:
	rm -rf build dist
