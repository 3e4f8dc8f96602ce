# Kernel selftests: kselftest-harness programs run inside the VM.  The list
# of them is selftests/Makefile's (TEST_GEN_PROGS: C programs, TEST_PROGS:
# scripts), the kselftest Makefile that `make -C selftests` and the kernel's
# runner use.
TA_SELFTESTS_LISTS_ONLY := 1
include $(SRC)/selftests/Makefile
SELFTESTS := $(addprefix $(B)/selftests/,$(TEST_GEN_PROGS))
SELFTEST_SCRIPTS := $(addprefix $(SRC)/selftests/,$(TEST_PROGS))
undefine TEST_GEN_PROGS
undefine TEST_PROGS
undefine TA_SELFTESTS_LISTS_ONLY
ALL += $(SELFTESTS)
GUEST_TESTS += $(SELFTESTS) $(SELFTEST_SCRIPTS)

$(B)/selftests/%: $(SRC)/selftests/%.c $(SRC)/selftests/ta_test.h $(SRC)/selftests/ta_memblock.h \
		$(SRC)/uapi/linux/tieralloc.h $(KSFT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(KSFT_CFLAGS) -o $@ $< -lpthread

print-guest-tests:
	@echo $(GUEST_TESTS)
