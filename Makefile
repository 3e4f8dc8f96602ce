# TierAlloc top-level build.
#
#   make              build the module for every installed kernel, libta,
#                     the preload library, tools and tests
#   make KVER=<rel>   build the module for one kernel release only
#   make check        make deps, then host tests + selftests in the VM on
#                     6.1, 6.12 and 7.3 (check-host, check-guest: one half,
#                     VM_KERNELS="6.12" for one kernel; check-debug: the
#                     debug-kernel lanes; Documentation/dev/testing.md)
#   make demo         make deps, then the emulated three-tier machine
#                     (TA_DEMO_KERNEL=7.3 for another kernel)
#   make bench        benchmarks -> build/bench/results.json
#   make install      [DESTDIR=] [PREFIX=/usr/local]; make uninstall
#                     (what goes where: tools/install/install.mk)
#   make deps         install the Debian packages the project needs, and
#                     cache Linux 7.3 with its build chroot (tools/trixie-kernel);
#                     the only target that installs anything (the others say
#                     what is missing)
#
# Component makefiles (libta/libta.mk, preload/preload.mk, tools/tools.mk,
# selftests/selftests.mk, pytorch/pytorch.mk) add their outputs to ALL and
# their test programs to HOST_TESTS (run on the build host) and GUEST_TESTS
# (run inside the VM on every kernel).  Every test program prints TAP via the
# kselftest harness; tools/run-tests counts the results.

SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
B := $(SRC)/build

# Packages: `make deps` installs them (tools/deps; as root, else it prints
# the apt-get line); no other target installs anything.  What needs them
# depends on deps-ok, which says what is missing and how to get it.  make
# check and make demo do their own set-up: they run `make deps`, then the
# rest in a new make, which reads this file again with the packages in
# place (what gets built depends on them: the kernels in /boot, PyTorch).
.DEFAULT_GOAL := all

# Kernel releases with both an image and headers installed, newest last, and
# the Linux 7.x kernels of trixie-backports that tools/trixie-kernel caches
# (image and headers in a Debian 13 chroot; modules for them are built in it).
TRIXIE := $(SRC)/tools/trixie-kernel
TRIXIE_KVERS := $(shell $(TRIXIE) list --buildable 2>/dev/null)
KVERS ?= $(sort $(foreach v,$(patsubst /boot/vmlinuz-%,%,$(wildcard /boot/vmlinuz-*)),\
	$(if $(wildcard /lib/modules/$(v)/build/Makefile),$(v))) $(TRIXIE_KVERS))
ifdef KVER
KVERS := $(KVER)
endif

CC ?= cc
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror
OPT ?= -O2 -g
CFLAGS_COMMON := $(CSTD) $(WARN) $(OPT) -fPIC -I$(SRC)/uapi -I$(SRC)/libta/include
LDLIBS_COMMON := -lpthread
# Test programs: the kselftest harness's own macros compare mixed signedness
# and leave a handler argument unused, so those two warnings are off there.
KSFT_CFLAGS := $(CSTD) $(WARN) -Wno-sign-compare -Wno-unused-parameter -O2 -g \
	-I$(SRC)/uapi -I$(B)/kselftest

# kselftest harness, taken from Debian's linux-source-6.1 at build time;
# its runner too, for `make -C selftests install` (selftests/Makefile).
KSFT_TARBALL := /usr/src/linux-source-6.1.tar.xz
KSFT_DIR := $(B)/kselftest
KSFT_HDR := $(KSFT_DIR)/kselftest_harness.h
KSFT_RUNNER := $(KSFT_DIR)/run_kselftest.sh

ALL :=
HOST_TESTS :=
GUEST_TESTS :=

.PHONY: all deps deps-ok modules check check-nodeps check-host check-guest \
	demo demo-nodeps bench clean check-debug format print-host-tests print-guest-tests \
	print-hotplug-tests

all: deps-ok modules

deps:
	@$(SRC)/tools/deps

# Installs nothing: what is missing, how to install it, and a failure.
deps-ok:
	@$(SRC)/tools/deps --tell

$(KSFT_HDR): | deps-ok
	@mkdir -p $(KSFT_DIR)
	@if [ -d /usr/src/linux-source-6.1/tools/testing/selftests ]; then \
		cp /usr/src/linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		   /usr/src/linux-source-6.1/tools/testing/selftests/kselftest.h $(KSFT_DIR)/; \
	else \
		tar -xJf $(KSFT_TARBALL) -C $(KSFT_DIR) --strip-components=4 \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/tools/testing/selftests/kselftest.h; \
	fi
	@touch $@

$(KSFT_RUNNER): | deps-ok
	@mkdir -p $(KSFT_DIR)
	@tar -xJf $(KSFT_TARBALL) -C $(KSFT_DIR) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/run_kselftest.sh \
		linux-source-6.1/tools/testing/selftests/kselftest/runner.sh \
		linux-source-6.1/tools/testing/selftests/kselftest/prefix.pl
	@touch $@

# ---- kernel module: one build directory per kernel release ----
MODULES := $(foreach v,$(KVERS),$(B)/kmod/$(v)/tieralloc.ko)
KMOD_SRCS := $(wildcard $(SRC)/kmod/*.c $(SRC)/kmod/*.h) $(SRC)/uapi/linux/tieralloc.h $(SRC)/Kbuild
KBUILD_EXTRA ?= W=1

modules: $(MODULES)

# Kbuild builds in the source tree; copy it to a per-release directory so
# builds for several kernels never share objects.  A trixie-backports kernel
# is built for in the chroot (gcc-14; the repo is at the same path there).
# Kbuild is a recursive make ("+": it shares the jobserver), except under
# make -n, which only prints it: a line naming $(MAKE) itself would run
# under -n too, and Kbuild then creates directories in the build tree.
DRY_RUN := $(findstring n,$(firstword -$(MAKEFLAGS)))
KBUILD_RUN := $(if $(DRY_RUN),,+)
KBUILD_MAKE = $(MAKE)

# The kernel tree is /lib/modules/RELEASE/build, or KDIR_<name> for one
# elsewhere (tools/check-debug: make KDIR_debug=TREE build/kmod/debug/tieralloc.ko).
$(B)/kmod/%/tieralloc.ko: $(KMOD_SRCS) | deps-ok
	@mkdir -p $(B)/kmod/$*/src
	@cp $(SRC)/Kbuild $(B)/kmod/$*/src/
	@mkdir -p $(B)/kmod/$*/src/kmod $(B)/kmod/$*/src/uapi/linux
	@cp $(SRC)/kmod/*.c $(SRC)/kmod/*.h $(B)/kmod/$*/src/kmod/
	@cp $(SRC)/uapi/linux/tieralloc.h $(B)/kmod/$*/src/uapi/linux/
	$(KBUILD_RUN)$(if $(filter $*,$(TRIXIE_KVERS)),$(TRIXIE) run )$(KBUILD_MAKE) \
		-C $(or $(KDIR_$*),/lib/modules/$*/build) M=$(B)/kmod/$*/src $(KBUILD_EXTRA) modules
	@cp $(B)/kmod/$*/src/tieralloc.ko $@

-include $(SRC)/libta/libta.mk
-include $(SRC)/preload/preload.mk
-include $(SRC)/tools/tools.mk
-include $(SRC)/pytorch/pytorch.mk
# make install, make uninstall (layout and variables: tools/install/install.mk)
include $(SRC)/tools/install/install.mk
include $(SRC)/tools/demo/demo.mk
include $(SRC)/selftests/selftests.mk

all: $(ALL)

# ---- tests ----
VM_KERNELS ?= 6.1 6.12 7.3
RESULTS := $(B)/results

# Every test program under build/ is a prerequisite, listed in ALL or not.
TEST_BINS = $(filter $(B)/%,$(HOST_TESTS) $(GUEST_TESTS))

# make check: make deps, then in a new make the host tests and the guest
# tests on each of VM_KERNELS.  check-host and check-guest are its two
# halves, without the deps step.  Each starts build/results afresh and ends
# with the summary line.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-nodeps

RUN_HOST_TESTS = $(SRC)/tools/run-tests host $(RESULTS)/host $(HOST_TESTS) || true
RUN_GUEST_TESTS = for k in $(VM_KERNELS); do \
		m=tiers; case " $(SUITE_HOTPLUG_KERNELS) " in *" $$k "*) m=hotplug ;; esac; \
		TA_VM_MACHINE=$$m $(SRC)/tools/check-guest $$k $(RESULTS) $(GUEST_TESTS); \
	done; \
	for k in $(HOTPLUG_KERNELS); do \
		TA_VM_MACHINE=hotplug $(SRC)/tools/check-guest $$k $(RESULTS) $(HOTPLUG_TESTS); \
	done; \
	for k in $(CXL_KERNELS); do \
		TA_TESTS="$(CXL_TESTS)" TA_VM_MACHINE=cxl \
			$(SRC)/tools/check-guest $$k $(RESULTS) $(HOTPLUG_TESTS); \
	done
# The suite runs on the default machine (tools/vmrun: node 2, SLOW, is boot
# memory in ZONE_NORMAL), but on the kernels of SUITE_HOTPLUG_KERNELS on
# --machine hotplug, where node 2 is all ZONE_MOVABLE, as CXL memory
# onlined by daxctl is: every test on such memory.  Then on the other
# kernels hotplug_test again on the hotplug machine, ~30 s a kernel (on the
# default machine it SKIPs); and on --machine cxl, where it
# is a CXL type-3 device brought up by cxl/daxctl: QEMU serves that memory
# through its I/O path, so on one kernel (6.12 passes too), and only the
# tests of what that path brings (CXL_TESTS, by TA_TESTS): allocation,
# moves, a block offline under a writer (~60 s each there), the whole
# node offline and online, fork and clone.  The policy cases (populate,
# long-term pins, a refused offline, a full node's offline) are the same
# on both machines and run on the hotplug one.
SUITE_HOTPLUG_KERNELS ?= 7.3
HOTPLUG_KERNELS ?= $(filter-out $(SUITE_HOTPLUG_KERNELS),$(VM_KERNELS))
CXL_KERNELS ?= 7.3
HOTPLUG_TESTS := $(B)/selftests/hotplug_test
CXL_TESTS ?= small_pages huge_pages move_in_and_out offline_under_writer fork_and_clone \
	node_offline

check-nodeps: all $(TEST_BINS)
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(RUN_HOST_TESTS)
	@$(RUN_GUEST_TESTS)
	@$(SRC)/tools/run-tests summary $(RESULTS)

# The debug lane runs the module's own selftests (2 x 10^5 fuzz operations,
# 3000 trinity calls), the libta kernel-backend test and stress-ng on the
# KASAN/lockdep/kmemleak kernel; make check adds 4 x 10^5 fuzz operations on
# each of 6.1, 6.12 and 7.3: 1.4 x 10^6 per CI run.  (The fuzzer is ~15x
# slower under KASAN + kmemleak, and more so the longer each worker runs.)
# Then the same on the KCSAN/lockdep kernel (2 x 10^5 fuzz operations take
# ~3 min there, the whole lane ~7 min under TCG on 2 cores, so it runs as
# many).  DEBUG_FUZZ_OPS_<variant> would set one lane's count.  Both boot
# the hotplug machine (DEBUG_MACHINE; node 2, SLOW, all ZONE_MOVABLE), so
# that hotplug_test's memory offline and hot-remove run under KASAN,
# kmemleak and KCSAN in the same boot as the rest (FAST and NORMAL stay
# ZONE_NORMAL).  Each lane runs even when the other failed; results in
# build/results/debug-hotplug (kasan) and build/results/debug-kcsan-hotplug.
DEBUG_VARIANTS ?= kasan kcsan
DEBUG_MACHINE ?= hotplug
DEBUG_TESTS ?= $(SELFTESTS) $(SELFTEST_SCRIPTS) $(filter %/libta-kernel,$(GUEST_TESTS))
DEBUG_FUZZ_OPS ?= 200000
DEBUG_TRINITY_OPS ?= 3000

check-debug: all
	@rc=0; $(foreach v,$(DEBUG_VARIANTS),\
	TA_GUEST_TESTS="$(DEBUG_TESTS)" \
		TA_FUZZ_OPS=$(or $(DEBUG_FUZZ_OPS_$(v)),$(DEBUG_FUZZ_OPS)) \
		TA_TRINITY_OPS=$(DEBUG_TRINITY_OPS) \
		$(SRC)/tools/check-debug --variant $(v) --machine $(DEBUG_MACHINE) || rc=1;) \
	exit $$rc

# The lists, one path a word (tools/check-debug reads print-guest-tests and
# print-hotplug-tests; the first is in selftests/selftests.mk).
print-host-tests:
	@echo $(HOST_TESTS)

print-hotplug-tests:
	@echo $(HOTPLUG_TESTS)

check-host: all $(TEST_BINS)
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(RUN_HOST_TESTS)
	@$(SRC)/tools/run-tests summary $(RESULTS)

check-guest: all $(TEST_BINS)
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(RUN_GUEST_TESTS)
	@$(SRC)/tools/run-tests summary $(RESULTS)

# make demo: make deps, then the demo in a new make.
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory demo-nodeps

demo-nodeps: all
	@$(SRC)/tools/demo/run

bench: all
	@VM_KERNELS="$(VM_KERNELS)" $(SRC)/tools/bench/run

format:
	clang-format -i $$(git -C $(SRC) ls-files '*.c' '*.h' '*.cc' '*.cpp' | grep -v '^kmod/\|^uapi/')

clean:
	rm -rf $(B)
