# Builds mod_spintly.so with apxs against Debian's apache2-dev, apr-util and
# jansson.  Included by the top-level Makefile.

APXS ?= $(shell command -v apxs 2>/dev/null || echo /usr/bin/apxs)
PKG_CONFIG ?= pkg-config

SPINTLY_SRC = mod_spintly/mod_spintly.c mod_spintly/spintly_config.c \
              mod_spintly/spintly_keys.c mod_spintly/spintly_event.c \
              mod_spintly/spintly_sink.c mod_spintly/spintly_pipe.c \
              mod_spintly/spintly_params.c mod_spintly/spintly_dbd.c
SPINTLY_HDR = $(wildcard mod_spintly/*.h)
SPINTLY_CFLAGS = -Wall -Wextra -Werror=implicit-function-declaration \
                 $(shell $(PKG_CONFIG) --cflags jansson apr-util-1 2>/dev/null)
SPINTLY_LIBS = $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null) -laprutil-1

SPINTLY_SO = mod_spintly/.libs/mod_spintly.so

.PHONY: module module-clean
module: $(SPINTLY_SO)

$(SPINTLY_SO): $(SPINTLY_SRC) $(SPINTLY_HDR) build/module.mk
	@command -v $(APXS) >/dev/null || { echo "apxs not found: run 'make deps' (or: apt-get install apache2-dev)"; exit 1; }
	@mkdir -p build/out
	@echo "apxs -c mod_spintly.so (log: build/out/apxs.log)"
	@cd mod_spintly && $(APXS) -c -o mod_spintly.so \
	    $(foreach f,$(SPINTLY_CFLAGS),-Wc,$(f)) \
	    $(SPINTLY_LIBS) $(notdir $(SPINTLY_SRC)) >../build/out/apxs.log 2>&1 \
	    || { cat ../build/out/apxs.log; exit 1; }
	@grep -E 'warning:|error:' build/out/apxs.log || true

module-clean:
	rm -rf mod_spintly/.libs mod_spintly/*.la mod_spintly/*.lo \
	       mod_spintly/*.slo mod_spintly/*.o
