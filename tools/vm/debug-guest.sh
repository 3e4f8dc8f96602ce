#!/bin/bash
# In-guest part of tools/check-debug; run by `tools/vmrun --kernel debug`
# (or debug-V for another variant; the module is already loaded).
#
# Usage: tools/vm/debug-guest.sh OUTDIR [TEST-PROGRAM...]
#
# Runs the selftests with tools/run-tests (logs and counts in OUTDIR), then
# takes kmemleak dumps with the module loaded and after rmmod (unless
# TA_DEBUG_KMEMLEAK=0: a kernel without kmemleak), and the kernel log.
# Files written to OUTDIR (on the host's build/):
#   module.txt              release, cmdline, /proc/modules line, sections
#   suite.rc                exit status of tools/run-tests (absent: no tests)
#   kmemleak-loaded.txt     after the suite, module loaded (2 scans)
#   rmmod.rc, rmmod.log     result of `rmmod MODULE`
#   kmemleak-unloaded.txt   after rmmod (2 scans)
#   dmesg.txt               the kernel log from boot to the end, read as it
#                           is written (see below)
#   timing.txt              seconds per step
#   done                    written last: the script ran to its end
# Exit status 0 once it ran to the end; the host judges the files.
set -u

[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [TEST...]" >&2; exit 2; }
OUT=$1
shift
MOD=${TA_MODULE:-tieralloc}
KL=/sys/kernel/debug/kmemleak
KMEMLEAK=${TA_DEBUG_KMEMLEAK:-1}

mkdir -p "$OUT"
rm -f "$OUT"/{module.txt,suite.rc,kmemleak-*.txt,rmmod.*,dmesg.txt,timing.txt,done}
log() { echo "debug-guest: $*" >&2; }
t_last=$(date +%s)
step() { # step NAME: time since the previous step
	local now
	now=$(date +%s)
	echo "$1 $((now - t_last))" >>"$OUT/timing.txt"
	t_last=$now
}

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug

# The kernel log, read from /dev/kmsg as it is written (util-linux dmesg
# --follow prints the records from boot on, then new ones): a test that
# clears the ring buffer (`dmesg -c`, as modparams_test.sh does) hides
# nothing from it, as a `dmesg` taken at the end would lose everything
# logged before the clear.  Line-buffered, so that stopping it loses nothing.
stdbuf -oL dmesg --follow >"$OUT/dmesg.txt" 2>&1 &
follow=$!

{
	echo "release $(uname -r)"
	echo "cmdline $(cat /proc/cmdline)"
	grep "^$MOD " /proc/modules || echo "$MOD not loaded"
	for s in .text .init.text .data .bss; do
		[ -r "/sys/module/$MOD/sections/$s" ] &&
			echo "section $s $(cat "/sys/module/$MOD/sections/$s")"
	done
} >"$OUT/module.txt" 2>&1

# kmemleak only reports objects older than 5 s and may report transient
# ones on a single pass: wait, then scan twice (as its documentation says).
# Dump to a temporary name so a failed read leaves no dump at all.
kmemleak_dump() {
	if [ ! -e "$KL" ]; then
		log "$KL missing (kmemleak not enabled?)"
		return 1
	fi
	sleep 6
	if echo scan >"$KL" && sleep 6 && echo scan >"$KL" &&
		cat "$KL" >"$1.tmp"; then
		mv "$1.tmp" "$1"
	else
		log "kmemleak scan/dump failed (kmemleak disabled? see dmesg)"
		rm -f "$1.tmp"
	fi
}

if [ $# -gt 0 ]; then
	log "running $# test program(s)"
	tools/run-tests guest "$OUT" "$@"
	echo $? >"$OUT/suite.rc"
	step suite
fi

if [ "$KMEMLEAK" = 1 ]; then
	log "kmemleak scan with $MOD loaded"
	kmemleak_dump "$OUT/kmemleak-loaded.txt"
	step kmemleak-loaded
fi

rmmod "$MOD" >"$OUT/rmmod.log" 2>&1
echo $? >"$OUT/rmmod.rc"
step rmmod

if [ "$KMEMLEAK" = 1 ]; then
	log "kmemleak scan after rmmod"
	kmemleak_dump "$OUT/kmemleak-unloaded.txt"
	step kmemleak-unloaded
fi

# Let the reader catch up with the last records, then stop it; if it did not
# run, the ring buffer as it is now is the best there is.
sleep 2
if kill "$follow" 2>/dev/null; then
	wait "$follow" 2>/dev/null
else
	log "dmesg --follow did not run; taking the ring buffer as it is"
	dmesg >"$OUT/dmesg.txt" 2>&1
fi
date -u +%FT%TZ >"$OUT/done"
sync
exit 0
