# tools: tierallocctl, its tests, and the benchmark programs.
# Included by the top Makefile (uses SRC, B, CC, CFLAGS_COMMON, KSFT_HDR).

CTL_LIB_SRCS := $(SRC)/tools/ctl/parse.c $(SRC)/tools/ctl/dev.c $(SRC)/tools/ctl/out.c
CTL_HDRS := $(SRC)/tools/ctl/ctl.h $(SRC)/uapi/linux/tieralloc.h $(SRC)/libta/include/tieralloc_shm.h \
	$(SRC)/libta/include/tieralloc.h
CTL_JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
CTL_JSON_LIBS := $(or $(shell pkg-config --libs json-c 2>/dev/null),-ljson-c)

ALL += $(B)/tierallocctl
ALL += $(B)/tests/tierallocctl_host_test $(B)/tests/tierallocctl_guest_test
HOST_TESTS += $(B)/tests/tierallocctl_host_test $(SRC)/tools/tests/kernel-style \
	$(SRC)/tools/tests/userspace-style $(SRC)/tools/tests/shell-lint \
	$(SRC)/tools/tests/dmesg-scan-test \
	$(SRC)/tools/tests/plot-test \
	$(SRC)/tools/install/systemd-boot-test
GUEST_TESTS += $(B)/tests/tierallocctl_guest_test

$(B)/tierallocctl: $(SRC)/tools/tierallocctl.c $(CTL_LIB_SRCS) $(CTL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CTL_JSON_CFLAGS) -o $@ \
		$(SRC)/tools/tierallocctl.c $(CTL_LIB_SRCS) $(LDFLAGS) $(CTL_JSON_LIBS) -lm

# The tests find tierallocctl at ../tierallocctl from their own directory.
# The 6.1 kselftest harness itself trips -Wunused-parameter and
# -Wsign-compare (its TEST() wrappers and EXPECT_EQ(1, unsigned)).
CTL_TEST_CFLAGS := $(CFLAGS_COMMON) $(CTL_JSON_CFLAGS) -I$(KSFT_DIR) -I$(SRC)/tools \
	-Wno-unused-parameter -Wno-sign-compare

$(B)/tests/tierallocctl_host_test: $(SRC)/tools/tests/ctl_host_test.c \
		$(SRC)/tools/tests/ctl_run.h $(SRC)/tools/ctl/parse.c $(CTL_HDRS) \
		$(KSFT_HDR) $(B)/tierallocctl
	@mkdir -p $(@D)
	$(CC) $(CTL_TEST_CFLAGS) -o $@ $< $(SRC)/tools/ctl/parse.c \
		$(CTL_JSON_LIBS) $(LDLIBS_COMMON)

$(B)/tests/tierallocctl_guest_test: $(SRC)/tools/tests/ctl_guest_test.c \
		$(SRC)/tools/tests/ctl_run.h $(SRC)/tools/ctl/parse.c $(CTL_HDRS) \
		$(KSFT_HDR) $(B)/tierallocctl
	@mkdir -p $(@D)
	$(CC) $(CTL_TEST_CFLAGS) -o $@ $< $(SRC)/tools/ctl/parse.c \
		$(CTL_JSON_LIBS) $(LDLIBS_COMMON)

# ---- benchmarks (tools/bench/README) ----
# Allocator workloads: tools/bench/alloc/NAME.c -> $(B)/bench/alloc/NAME.
# Stand-alone benchmarks: tools/bench/{host,vm}/NAME.c -> $(B)/bench/{host,vm}/NAME.
BENCH_CFLAGS := $(CSTD) $(WARN) -O2 -g -I$(SRC)/uapi -I$(SRC)/libta/include
BENCH_ALLOC := $(patsubst $(SRC)/tools/bench/alloc/%.c,$(B)/bench/alloc/%,\
	$(wildcard $(SRC)/tools/bench/alloc/*.c))
BENCH_C := $(patsubst $(SRC)/tools/bench/%.c,$(B)/bench/%,\
	$(wildcard $(SRC)/tools/bench/host/*.c $(SRC)/tools/bench/vm/*.c))
BENCH_PROGS := $(BENCH_ALLOC) $(BENCH_C)

# Variants of the workloads built against another allocator API (see
# tools/bench/alloc/bench_alloc.h).  A component makefile included before
# this one adds, e.g.:
#   BENCH_ALLOC_VARIANTS += libta
#   BENCH_ALLOC_libta_CFLAGS := -DBENCH_ALLOC_INCLUDE='"ta_bench.h"' -I...
#   BENCH_ALLOC_libta_LIBS := $(B)/libta.a      (also a prerequisite)
#   BENCH_ALLOC_libta_LDLIBS := -ljson-c        (link only)
# and gets $(B)/bench/alloc/NAME.libta for every workload; list it in
# tools/bench/alloc/allocators as "libta  suffix:.libta".
define BENCH_ALLOC_VARIANT
BENCH_PROGS += $$(addsuffix .$(1),$$(BENCH_ALLOC))
$$(B)/bench/alloc/%.$(1): $$(SRC)/tools/bench/alloc/%.c \
		$$(SRC)/tools/bench/alloc/bench_alloc.h $$(BENCH_ALLOC_$(1)_LIBS)
	@mkdir -p $$(@D)
	$$(CC) $$(BENCH_CFLAGS) $$(BENCH_ALLOC_$(1)_CFLAGS) -o $$@ $$< \
		$$(BENCH_ALLOC_$(1)_LIBS) $$(BENCH_ALLOC_$(1)_LDLIBS) -lpthread
endef
$(foreach v,$(BENCH_ALLOC_VARIANTS),$(eval $(call BENCH_ALLOC_VARIANT,$(v))))

ALL += $(BENCH_PROGS)

.PHONY: bench-progs
bench-progs: $(BENCH_PROGS)

$(B)/bench/alloc/%: $(SRC)/tools/bench/alloc/%.c $(SRC)/tools/bench/alloc/bench_alloc.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lpthread

$(B)/bench/host/%: $(SRC)/tools/bench/host/%.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lpthread -lm

# hotplug.c shares the memory-block helpers of hotplug_test (ta_memblock.h, ta_test.h).
$(B)/bench/vm/%: $(SRC)/tools/bench/vm/%.c $(SRC)/tools/bench/vm/bench_vm.h $(SRC)/selftests/ta_memblock.h $(SRC)/selftests/ta_test.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -I$(SRC)/selftests -o $@ $< -lpthread -lm

# The seed's libta benchmarks (bench_alloc, bench_roll) link libta itself.
$(B)/bench/vm/bench_%: $(SRC)/tools/bench/vm/bench_%.c $(SRC)/tools/bench/vm/bench_vm.h $(B)/libta.a \
		$(SRC)/libta/include/tieralloc.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(B)/libta.a -ljson-c -lpthread -lm
