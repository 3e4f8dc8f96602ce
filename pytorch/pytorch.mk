# pytorch/: the PyTorch allocator shim and the `tieralloc` Python package.
# Included by the top Makefile, which provides SRC and B.
#
# Outputs
#   build/pytorch/tieralloc_shim.so   the c10::Allocator extension, built with
#                                     torch.utils.cpp_extension (ninja) against
#                                     Debian's python3-torch + libtorch-dev and
#                                     linked with build/libta.so (rpath build/)
# Tests
#   pytorch/tests/pytorch-tests                 pytest -> TAP, on the host and in the VM
#   tools/tests/pytorch-trixie                  the same against Debian 13's PyTorch 2.6,
#                                               libta and the shim built in the trixie
#                                               chroot into build/trixie/ (tools/trixie-torch;
#                                               SKIPs loudly without that chroot)
#
# Building the extension takes minutes, so it is rebuilt only when one of
# its inputs changes (and ninja then recompiles only what changed).  Without
# torch (or ninja) `make` goes on without it, saying so loudly, and the test
# runner reports a SKIP.

TORCH_PYTHON ?= /usr/bin/python3
PYTORCH_DIR := $(SRC)/pytorch
PYTORCH_B := $(B)/pytorch
TORCH_SHIM := $(PYTORCH_B)/tieralloc_shim.so

# Where torch is, without importing it (that takes seconds).
TORCH_DIR := $(shell $(TORCH_PYTHON) -c 'import importlib.util as u; s = u.find_spec("torch"); \
	print(s.submodule_search_locations[0] if s else "")' 2>/dev/null)
TORCH_MISSING := $(strip \
	$(if $(TORCH_DIR),,python3-torch) \
	$(if $(wildcard $(TORCH_DIR)/include/torch/extension.h),,libtorch-dev) \
	$(if $(shell command -v ninja 2>/dev/null),,ninja-build) \
	$(if $(wildcard /usr/include/pybind11/pybind11.h),,pybind11-dev))

PYTORCH_SHIM_DEPS := $(wildcard $(PYTORCH_DIR)/csrc/*.cpp $(PYTORCH_DIR)/csrc/*.h) \
	$(PYTORCH_DIR)/build.py $(SRC)/libta/include/tieralloc.h $(SRC)/uapi/linux/tieralloc.h

ifeq ($(TORCH_MISSING),)
ALL += $(TORCH_SHIM)

# libta.so is linked dynamically: a rebuilt libta needs no relink.
$(TORCH_SHIM): $(PYTORCH_SHIM_DEPS) | $(B)/libta.so
	@mkdir -p $(@D)
	@echo "  TORCH   $@ (torch.utils.cpp_extension; takes a few minutes)"
	$(TORCH_PYTHON) $(PYTORCH_DIR)/build.py $(SRC) $(B)
else
$(info )
$(info *** pytorch/: NOT building the PyTorch shim: missing $(TORCH_MISSING))
$(info ***   apt-get install python3-torch libtorch-dev ninja-build pybind11-dev python3-pytest python3-numpy)
$(info ***   (its tests report SKIP))
$(info )
$(TORCH_SHIM):
	@echo "pytorch/: cannot build $@: missing $(TORCH_MISSING)" >&2; exit 1
endif

HOST_TESTS += $(PYTORCH_DIR)/tests/pytorch-tests $(SRC)/tools/tests/pytorch-trixie
GUEST_TESTS += $(PYTORCH_DIR)/tests/pytorch-tests

.PHONY: pytorch check-pytorch
pytorch: $(TORCH_SHIM)

# Quick loop for pytorch/ work: the host tests only.
check-pytorch: $(TORCH_SHIM)
	$(PYTORCH_DIR)/tests/pytorch-tests
