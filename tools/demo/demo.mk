# The demo's in-guest program; tools/demo drives it.
ALL += $(B)/ta-demo

$(B)/ta-demo: $(SRC)/tools/demo/ta-demo.c $(SRC)/uapi/linux/tieralloc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -o $@ $< -lpthread
