# Kernel selftests: kselftest-harness programs run inside the VM.
SELFTESTS := $(B)/selftests/regions_test $(B)/selftests/migrate_test \
	$(B)/selftests/fuzz_test $(B)/selftests/faultinj_test $(B)/selftests/stress_test \
	$(B)/selftests/shared_test $(B)/selftests/huge_pmd_test
ALL += $(SELFTESTS)
GUEST_TESTS += $(SELFTESTS) $(SRC)/selftests/modparams_test.sh $(SRC)/selftests/trinity_test.sh

$(B)/selftests/%: $(SRC)/selftests/%.c $(SRC)/selftests/ta_test.h \
		$(SRC)/uapi/linux/tieralloc.h $(KSFT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(KSFT_CFLAGS) -o $@ $< -lpthread

print-guest-tests:
	@echo $(GUEST_TESTS)
