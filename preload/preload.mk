# libta_preload.so: the C library's malloc family served by libta, for
# LD_PRELOAD.  Included by the top Makefile (SRC, B, CC, CFLAGS_COMMON,
# KSFT_CFLAGS, KSFT_HDR, LDLIBS_COMMON).
#
# Outputs
#   build/libta_preload.so               the interposer, libta linked in
#   build/preload/tests/pl_*             kselftest programs; they re-run
#                                        themselves under the preload
#   build/preload/tests/pl_api_glibc     the API checks against glibc itself
#   build/preload/tests/libpl_dl.so      a library the dlopen test loads
#   build/preload/tests/real_programs    real programs, preload vs glibc (TAP)

PRELOAD_DIR := $(SRC)/preload
PRELOAD_SRCS := $(sort $(wildcard $(PRELOAD_DIR)/src/*.c))
PRELOAD_OBJS := $(patsubst $(PRELOAD_DIR)/src/%.c,$(B)/preload/obj/%.o,$(PRELOAD_SRCS))
PRELOAD_DEPS := $(wildcard $(PRELOAD_DIR)/src/*.h) $(SRC)/libta/include/tieralloc_shm.h $(SRC)/libta/src/parse.h \
	$(SRC)/libta/src/options.h $(SRC)/libta/src/compiler.h $(SRC)/libta/src/once.h \
	$(SRC)/libta/include/tieralloc.h $(SRC)/uapi/linux/tieralloc.h $(PRELOAD_DIR)/preload.mk
# Link-time optimisation: see libta_preload.so below.
PRELOAD_LTO := -flto=auto -fno-semantic-interposition
LTO_AR ?= gcc-ar
PRELOAD_CFLAGS := $(CFLAGS_COMMON) -fvisibility=hidden -ftls-model=initial-exec \
	-fno-plt -fno-builtin -I$(PRELOAD_DIR)/src $(PRELOAD_LTO)

$(B)/preload/obj/%.o: $(PRELOAD_DIR)/src/%.c $(PRELOAD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_CFLAGS) -c -o $@ $<

# The preload is linked with link-time optimisation, so that libta's fast
# paths (ta_malloc, ta_try_free) inline into malloc and free: one call less
# on every allocation.  libta is compiled a second time for it, with
# -fno-semantic-interposition (-Bsymbolic-functions binds the preload's own
# calls locally anyway), into an archive of which only the objects the
# preload needs are pulled (not ta_stats_json, so no json-c).
PRELOAD_LIBTA_OBJS := $(patsubst $(SRC)/libta/src/%.c,$(B)/preload/libta-obj/%.o,$(LIBTA_SRCS))

$(B)/preload/libta-obj/%.o: $(SRC)/libta/src/%.c $(LIBTA_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIBTA_CFLAGS) $(PRELOAD_LTO) -c -o $@ $<

$(B)/preload/libta-lto.a: $(PRELOAD_LIBTA_OBJS)
	@rm -f $@
	$(LTO_AR) rcs $@ $^

$(B)/libta_preload.so: $(PRELOAD_OBJS) $(B)/preload/libta-lto.a
	$(CC) $(OPT) $(PRELOAD_LTO) -shared -Wl,-soname,libta_preload.so -Wl,-z,defs \
		-Wl,-Bsymbolic-functions -Wl,-z,now -o $@ $(PRELOAD_OBJS) \
		$(B)/preload/libta-lto.a $(LDLIBS_COMMON)

# ---- tests ----
PRELOAD_TESTS := $(patsubst $(PRELOAD_DIR)/tests/%.c,%,$(sort $(wildcard $(PRELOAD_DIR)/tests/pl_*.c)))
PRELOAD_TEST_BINS := $(addprefix $(B)/preload/tests/,$(PRELOAD_TESTS))
PRELOAD_TEST_HDRS := $(wildcard $(PRELOAD_DIR)/tests/*.h) $(SRC)/libta/include/tieralloc_shm.h $(SRC)/libta/src/options.h \
	$(SRC)/libta/src/options.c $(SRC)/libta/src/parse.c
PRELOAD_TEST_CFLAGS := $(KSFT_CFLAGS) -fno-builtin -isystem $(KSFT_DIR) -I$(PRELOAD_DIR)/tests \
	-I$(PRELOAD_DIR) -I$(SRC)/libta/include
PRELOAD_TEST_LIBS := -ldl -lnuma $(LDLIBS_COMMON)
# Tests that only mean something in the VM (3 nodes, the module) are still
# run on the host too: they skip what they cannot check there.
PRELOAD_HOST_TESTS := $(PRELOAD_TEST_BINS) $(B)/preload/tests/pl_api_glibc \
	$(B)/preload/tests/real_programs
PRELOAD_GUEST_TESTS := $(PRELOAD_TEST_BINS) $(B)/preload/tests/real_programs

$(B)/preload/tests/pl_%: $(PRELOAD_DIR)/tests/pl_%.c $(PRELOAD_TEST_HDRS) $(KSFT_HDR) \
		$(B)/libta_preload.so $(B)/preload/tests/libpl_dl.so
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_TEST_CFLAGS) -o $@ $< $(PRELOAD_TEST_LIBS)

# The same API checks, run against glibc's malloc: the reference semantics.
$(B)/preload/tests/pl_api_glibc: $(PRELOAD_DIR)/tests/pl_api.c $(PRELOAD_TEST_HDRS) $(KSFT_HDR)
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_TEST_CFLAGS) -DPL_TEST_GLIBC -o $@ $< $(PRELOAD_TEST_LIBS)

$(B)/preload/tests/libpl_dl.so: $(PRELOAD_DIR)/tests/libpl_dl.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -shared -o $@ $<

$(B)/preload/tests/real_programs: $(PRELOAD_DIR)/tests/real_programs.sh
	@mkdir -p $(@D)
	cp $< $@ && chmod +x $@

ALL += $(B)/libta_preload.so $(PRELOAD_TEST_BINS) $(B)/preload/tests/pl_api_glibc \
	$(B)/preload/tests/libpl_dl.so $(B)/preload/tests/real_programs
HOST_TESTS += $(PRELOAD_HOST_TESTS)
GUEST_TESTS += $(PRELOAD_GUEST_TESTS)

# tierallocctl reads the statistics the preload publishes (tieralloc_shm.h).
$(B)/tierallocctl: $(SRC)/libta/include/tieralloc_shm.h

.PHONY: preload check-preload
preload: $(B)/libta_preload.so $(PRELOAD_TEST_BINS) $(B)/preload/tests/pl_api_glibc \
	$(B)/preload/tests/libpl_dl.so $(B)/preload/tests/real_programs

check-preload: preload $(B)/tierallocctl
	@fail=0; for t in $(PRELOAD_HOST_TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

.SECONDARY: $(PRELOAD_OBJS)
