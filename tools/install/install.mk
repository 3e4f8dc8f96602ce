# make install / make uninstall.  Included by the top Makefile (SRC, B, CC,
# LIBTA_OBJS, LIBTA_LDLIBS).  Layout (every directory can be overridden):
#
#   $(LIBDIR)        libta.so.0.X.Y, libta.so.0, libta.so, libta.a;
#                    pkgconfig/tieralloc.pc
#   $(PRELOADDIR)    libta_preload.so (default $(LIBDIR); the Debian package
#                    keeps it out of the linker's path: LIBDIR/tieralloc)
#   $(INCLUDEDIR)    tieralloc.h, tieralloc_shm.h, linux/tieralloc.h
#   $(BINDIR)        tierallocctl (in bin, not sbin: reading tiers and stats
#                    is for every user; only set/apply need CAP_SYS_ADMIN)
#   $(MANDIR)        man3/libta.3, man4/tieralloc.4, man8/tierallocctl.8,
#                    man8/libta_preload.8
#   $(DOCDIR)        tieralloc.conf.example
#   $(SYSCONFDIR)    tieralloc.conf (only when absent; uninstall removes it
#                    only when unchanged)
#   $(UDEVRULESDIR)  60-tieralloc.rules
#   $(UNITDIR)       tieralloc.service
#   $(MODLOADDIR)    tieralloc.conf: load the module at boot
#
# make install-dkms: the module's source and dkms.conf in $(DKMSSRCDIR)
# (/usr/src/tieralloc-VERSION), for `dkms install tieralloc/VERSION`;
# make uninstall-dkms removes it.
#
# PREFIX defaults to /usr/local; DESTDIR is prepended to every path.  The
# udev, systemd and modules-load directories are where those programs look,
# whatever PREFIX is (pkg-config of udev/systemd, else Debian's paths).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PRELOADDIR ?= $(LIBDIR)
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/tieralloc
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d
UNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
MODLOADDIR ?= /usr/lib/modules-load.d

TA_VERSION := $(or $(LIBTA_VERSION),0.1.0)
TA_SOMAJOR := 0
DKMSSRCDIR ?= /usr/src/tieralloc-$(TA_VERSION)
INST := $(B)/install
INST_DIR := $(SRC)/tools/install

# build/libta.so is for the build tree (soname libta.so); the installed
# library is linked from the same objects with a versioned soname.
$(INST)/libta.so.$(TA_VERSION): $(LIBTA_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libta.so.$(TA_SOMAJOR) -Wl,-z,defs $(LDFLAGS) -o $@ $^ $(LIBTA_LDLIBS)

# Files whose text names install paths are made at install time (the paths
# are make variables), into $(INST)/gen, from templates with @VARS@.
INST_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	-e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@VERSION@|$(TA_VERSION)|g'

INST_MANS := $(wildcard $(SRC)/Documentation/man/*.[1-8])
INST_BUILT := $(INST)/libta.so.$(TA_VERSION) $(B)/libta.a $(B)/libta_preload.so $(B)/tierallocctl

ALL += $(INST)/libta.so.$(TA_VERSION)
HOST_TESTS += $(INST_DIR)/install-test $(SRC)/Documentation/man/check-man $(INST_DIR)/dkms-test \
	$(INST_DIR)/deb-test
GUEST_TESTS += $(INST_DIR)/boot-test $(INST_DIR)/dkms-load-test $(INST_DIR)/deb-guest-test

.PHONY: userspace install uninstall install-dkms uninstall-dkms
# What make install installs, and nothing else (debian/rules builds this).
userspace: $(INST_BUILT)

install: $(INST_BUILT)
	@rm -rf $(INST)/gen && mkdir -p $(INST)/gen
	$(INST_SUBST) -e 's|^libdir=.*|libdir=$(LIBDIR)|' -e 's|^includedir=.*|includedir=$(INCLUDEDIR)|' \
		$(SRC)/libta/tieralloc.pc.in >$(INST)/gen/tieralloc.pc
	$(INST_SUBST) $(INST_DIR)/tieralloc.service.in >$(INST)/gen/tieralloc.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(PRELOADDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MODLOADDIR)
	install -m 0755 $(B)/tierallocctl $(DESTDIR)$(BINDIR)/tierallocctl
	install -m 0755 $(INST)/libta.so.$(TA_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libta.so.$(TA_VERSION) $(DESTDIR)$(LIBDIR)/libta.so.$(TA_SOMAJOR)
	ln -sf libta.so.$(TA_SOMAJOR) $(DESTDIR)$(LIBDIR)/libta.so
	install -m 0644 $(B)/libta.a $(DESTDIR)$(LIBDIR)/libta.a
	install -m 0755 $(B)/libta_preload.so $(DESTDIR)$(PRELOADDIR)/libta_preload.so
	install -m 0644 $(INST)/gen/tieralloc.pc $(DESTDIR)$(PKGCONFIGDIR)/tieralloc.pc
	install -m 0644 $(SRC)/libta/include/tieralloc.h $(DESTDIR)$(INCLUDEDIR)/tieralloc.h
	install -m 0644 $(SRC)/libta/include/tieralloc_shm.h $(DESTDIR)$(INCLUDEDIR)/tieralloc_shm.h
	install -m 0644 $(SRC)/uapi/linux/tieralloc.h $(DESTDIR)$(INCLUDEDIR)/linux/tieralloc.h
	install -m 0644 $(INST_DIR)/tieralloc.conf $(DESTDIR)$(DOCDIR)/tieralloc.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/tieralloc.conf ] || \
		install -m 0644 $(INST_DIR)/tieralloc.conf $(DESTDIR)$(SYSCONFDIR)/tieralloc.conf
	install -m 0644 $(INST_DIR)/60-tieralloc.rules $(DESTDIR)$(UDEVRULESDIR)/60-tieralloc.rules
	install -m 0644 $(INST)/gen/tieralloc.service $(DESTDIR)$(UNITDIR)/tieralloc.service
	install -m 0644 $(INST_DIR)/modules-load.conf $(DESTDIR)$(MODLOADDIR)/tieralloc.conf
	$(foreach m,$(INST_MANS),install -d $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m))) && \
		install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/ && ) true

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tierallocctl \
		$(DESTDIR)$(LIBDIR)/libta.so.$(TA_VERSION) $(DESTDIR)$(LIBDIR)/libta.so.$(TA_SOMAJOR) \
		$(DESTDIR)$(LIBDIR)/libta.so $(DESTDIR)$(LIBDIR)/libta.a \
		$(DESTDIR)$(PRELOADDIR)/libta_preload.so $(DESTDIR)$(PKGCONFIGDIR)/tieralloc.pc \
		$(DESTDIR)$(INCLUDEDIR)/tieralloc.h $(DESTDIR)$(INCLUDEDIR)/tieralloc_shm.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/tieralloc.h \
		$(DESTDIR)$(DOCDIR)/tieralloc.conf.example \
		$(DESTDIR)$(UDEVRULESDIR)/60-tieralloc.rules $(DESTDIR)$(UNITDIR)/tieralloc.service \
		$(DESTDIR)$(MODLOADDIR)/tieralloc.conf \
		$(foreach m,$(INST_MANS),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	! cmp -s $(INST_DIR)/tieralloc.conf $(DESTDIR)$(SYSCONFDIR)/tieralloc.conf || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/tieralloc.conf
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(INCLUDEDIR)/linux 2>/dev/null

install-dkms:
	install -d $(DESTDIR)$(DKMSSRCDIR)/kmod $(DESTDIR)$(DKMSSRCDIR)/uapi/linux
	$(INST_SUBST) $(INST_DIR)/dkms.conf.in >$(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	install -m 0644 $(SRC)/Kbuild $(DESTDIR)$(DKMSSRCDIR)/Kbuild
	install -m 0644 $(wildcard $(SRC)/kmod/*.c $(SRC)/kmod/*.h) $(DESTDIR)$(DKMSSRCDIR)/kmod/
	install -m 0644 $(SRC)/uapi/linux/tieralloc.h $(DESTDIR)$(DKMSSRCDIR)/uapi/linux/

uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMSSRCDIR)
