# Fuzzing spintly_event.c, the validation and record formatting every
# request body goes through.  Included by the top-level Makefile; works on
# its own too:  make -f build/fuzz.mk fuzz-replay
#
#   fuzz          libFuzzer (clang, ASan + UBSan) for FUZZ_TIME seconds
#                 (default 60), seeded from t/fuzz/corpus with
#                 t/fuzz/json.dict; new inputs go to build/out/fuzz/corpus,
#                 a crash to build/out/fuzz/crash-*.  FUZZ_FLAGS adds
#                 libFuzzer options (e.g. -jobs=2).
#   fuzz-replay   the target without libFuzzer (t/fuzz/fuzz_replay.c),
#                 built with ASan + UBSan, over every file of t/fuzz/corpus;
#                 any sanitizer report or broken check fails.  make test
#                 runs it.  REPLAY_CC picks the compiler (default gcc).
#   fuzz-clean    remove build/out/fuzz
#
# Both compile mod_spintly/spintly_event.c itself, as the module does, with
# nothing of httpd: it needs APR and jansson only.

PKG_CONFIG ?= pkg-config
FUZZ_CC ?= clang
REPLAY_CC ?= gcc
FUZZ_TIME ?= 60
FUZZ_FLAGS ?=

FUZZ_OUT = build/out/fuzz
FUZZ_SRC = t/fuzz/fuzz_event.c mod_spintly/spintly_event.c
FUZZ_DEPS = $(FUZZ_SRC) mod_spintly/spintly_event.h build/fuzz.mk
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Imod_spintly \
              -fno-sanitize-recover=all \
              $(shell $(PKG_CONFIG) --cflags jansson apr-1)
FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs jansson apr-1)
# A report is a failure: abort at once, leaks included.
FUZZ_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
           UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: fuzz fuzz-build fuzz-replay fuzz-clean

$(FUZZ_OUT) $(FUZZ_OUT)/corpus:
	mkdir -p $@

$(FUZZ_OUT)/fuzz_event: $(FUZZ_DEPS) | $(FUZZ_OUT)
	@command -v $(FUZZ_CC) >/dev/null || { echo "$(FUZZ_CC) not found: run 'build/deps.sh fuzz'"; exit 1; }
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $(FUZZ_SRC) $(FUZZ_LIBS)

$(FUZZ_OUT)/fuzz_replay: $(FUZZ_DEPS) t/fuzz/fuzz_replay.c | $(FUZZ_OUT)
	$(REPLAY_CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined \
	    -o $@ t/fuzz/fuzz_replay.c $(FUZZ_SRC) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_OUT)/fuzz_event

fuzz: | $(FUZZ_OUT)/corpus
	@build/deps.sh fuzz
	@$(MAKE) --no-print-directory -f build/fuzz.mk fuzz-build
	$(FUZZ_ENV) $(FUZZ_OUT)/fuzz_event -max_total_time=$(FUZZ_TIME) \
	    -dict=t/fuzz/json.dict -max_len=8192 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/ $(FUZZ_FLAGS) \
	    $(FUZZ_OUT)/corpus t/fuzz/corpus

fuzz-replay: $(FUZZ_OUT)/fuzz_replay
	$(FUZZ_ENV) $(FUZZ_OUT)/fuzz_replay t/fuzz/corpus

fuzz-clean:
	rm -rf $(FUZZ_OUT)
