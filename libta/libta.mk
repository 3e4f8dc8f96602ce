# libta: the TierAlloc userspace allocator.  Included by the top Makefile,
# which provides SRC, B, CC, CFLAGS_COMMON, LDLIBS_COMMON and KSFT_HDR.
#
# Outputs
#   build/libta.so build/libta.a build/tieralloc.pc
#   build/libta/tests/libta-<t>          tests/test_<t>.c linked with build/libta.so
#   build/asan/libta.{so,a}, build/asan/libta/tests/libta-<t>-asan   ASan + UBSan
#   build/tsan/libta.{so,a}, build/tsan/libta/tests/libta-<t>-tsan   TSan
# (tools/run-tests names logs by basename: every binary name is unique.)
# Host tests (all three builds) go to HOST_TESTS; the tests that exercise the
# kernel backend and 3-node placement also go to GUEST_TESTS.

LIBTA_DIR := $(SRC)/libta
LIBTA_SRCS := $(sort $(wildcard $(LIBTA_DIR)/src/*.c))
LIBTA_DEPS := $(wildcard $(LIBTA_DIR)/src/*.h) $(LIBTA_DIR)/include/tieralloc.h $(SRC)/kmod/ta_policy.h \
	$(SRC)/uapi/linux/tieralloc.h $(LIBTA_DIR)/libta.mk
LIBTA_TESTS := $(patsubst $(LIBTA_DIR)/tests/test_%.c,%,$(sort $(wildcard $(LIBTA_DIR)/tests/test_*.c)))
LIBTA_TEST_DEPS := $(LIBTA_DEPS) $(wildcard $(LIBTA_DIR)/tests/*.h)
# Tests that need the VM (3 NUMA nodes, /dev/tieralloc); they SKIP elsewhere.
LIBTA_GUEST_TESTS := kernel placement api move threads fork purge auto env

LIBTA_CFLAGS := $(CFLAGS_COMMON) -fvisibility=hidden -I$(LIBTA_DIR)/src
LIBTA_LDLIBS := -ljson-c $(LDLIBS_COMMON)
# The 6.1 harness is not -Wextra clean: take it as a system header.
LIBTA_TEST_CFLAGS := $(CFLAGS_COMMON) -isystem $(B)/kselftest -I$(LIBTA_DIR)/tests
LIBTA_TEST_LDLIBS := -lnuma $(LDLIBS_COMMON)

LIBTA_SAN_asan := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
LIBTA_SAN_tsan := -fsanitize=thread -fno-omit-frame-pointer

# $(call libta_build,<output dir>,<sanitizer flags>,<binary suffix>)
define libta_build
$(1)/libta/obj/%.o: $(LIBTA_DIR)/src/%.c $(LIBTA_DEPS)
	@mkdir -p $$(@D)
	$$(CC) $$(LIBTA_CFLAGS) $(2) -MMD -c -o $$@ $$<

$(1)/libta.a: $(patsubst $(LIBTA_DIR)/src/%.c,$(1)/libta/obj/%.o,$(LIBTA_SRCS))
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$(1)/libta.so: $(patsubst $(LIBTA_DIR)/src/%.c,$(1)/libta/obj/%.o,$(LIBTA_SRCS))
	$$(CC) $(2) -shared -Wl,-soname,libta.so.0 -Wl,-z,defs -o $$@ $$^ $$(LIBTA_LDLIBS)

$(1)/libta/tests/libta-%$(3): $(LIBTA_DIR)/tests/test_%.c $(1)/libta.a $(LIBTA_TEST_DEPS) $(KSFT_HDR)
	@mkdir -p $$(@D)
	$$(CC) $$(LIBTA_TEST_CFLAGS) $(2) -o $$@ $$< $(1)/libta.a $$(LIBTA_LDLIBS) $$(LIBTA_TEST_LDLIBS)
endef

$(eval $(call libta_build,$(B)/asan,$(LIBTA_SAN_asan),-asan))
$(eval $(call libta_build,$(B)/tsan,$(LIBTA_SAN_tsan),-tsan))

# The plain build: library objects and tests linked with the shared library.
$(B)/libta/obj/%.o: $(LIBTA_DIR)/src/%.c $(LIBTA_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIBTA_CFLAGS) -MMD -c -o $@ $<

LIBTA_OBJS := $(patsubst $(LIBTA_DIR)/src/%.c,$(B)/libta/obj/%.o,$(LIBTA_SRCS))

$(B)/libta.a: $(LIBTA_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/libta.so: $(LIBTA_OBJS)
	$(CC) -shared -Wl,-soname,libta.so -Wl,-z,defs -o $@ $^ $(LIBTA_LDLIBS)

$(B)/libta/tests/libta-%: $(LIBTA_DIR)/tests/test_%.c $(B)/libta.so $(LIBTA_TEST_DEPS) $(KSFT_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIBTA_TEST_CFLAGS) -o $@ $< -L$(B) -Wl,-rpath,$(B) -l:libta.so \
		$(LIBTA_LDLIBS) $(LIBTA_TEST_LDLIBS)

$(B)/tieralloc.pc: $(LIBTA_DIR)/tieralloc.pc.in $(LIBTA_DIR)/libta.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(or $(PREFIX),/usr/local)|g' \
	    -e 's|@VERSION@|$(or $(LIBTA_VERSION),0.1.0)|g' $< > $@

LIBTA_TEST_BINS := $(patsubst %,$(B)/libta/tests/libta-%,$(LIBTA_TESTS))
LIBTA_ASAN_BINS := $(patsubst %,$(B)/asan/libta/tests/libta-%-asan,$(LIBTA_TESTS))
LIBTA_TSAN_BINS := $(patsubst %,$(B)/tsan/libta/tests/libta-%-tsan,$(LIBTA_TESTS))

ALL += $(B)/libta.so $(B)/libta.a $(B)/tieralloc.pc $(LIBTA_TEST_BINS) \
	$(B)/asan/libta.so $(B)/asan/libta.a $(LIBTA_ASAN_BINS) \
	$(B)/tsan/libta.so $(B)/tsan/libta.a $(LIBTA_TSAN_BINS)
HOST_TESTS += $(LIBTA_TEST_BINS) $(LIBTA_ASAN_BINS) $(LIBTA_TSAN_BINS)
GUEST_TESTS += $(patsubst %,$(B)/libta/tests/libta-%,$(filter $(LIBTA_GUEST_TESTS),$(LIBTA_TESTS)))

# The allocator workloads of make bench, also built against the ta_* API
# (tools/bench/alloc/allocators: "libta suffix:.libta").
BENCH_ALLOC_VARIANTS += libta
BENCH_ALLOC_libta_CFLAGS := -DBENCH_ALLOC_INCLUDE='"ta_bench.h"' -I$(LIBTA_DIR)/bench
BENCH_ALLOC_libta_LIBS := $(B)/libta.a
BENCH_ALLOC_libta_LDLIBS := -ljson-c

.PHONY: libta check-libta
libta: $(B)/libta.so $(B)/libta.a $(B)/tieralloc.pc $(LIBTA_TEST_BINS)

# Quick loop for libta work: run its host tests directly.
check-libta: $(LIBTA_TEST_BINS) $(LIBTA_ASAN_BINS) $(LIBTA_TSAN_BINS)
	@fail=0; for t in $^; do echo "== $$t"; $$t || fail=1; done; exit $$fail

.SECONDARY: $(LIBTA_OBJS)
-include $(wildcard $(B)/libta/obj/*.d $(B)/asan/libta/obj/*.d $(B)/tsan/libta/obj/*.d)
