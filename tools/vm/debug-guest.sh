#!/bin/bash
# In-guest part of tools/check-debug; run by `tools/vmrun --kernel debug`
# (the module is already loaded).
#
# Usage: tools/vm/debug-guest.sh OUTDIR [TEST-PROGRAM...]
#
# Runs the selftests with tools/run-tests (logs and counts in OUTDIR), then
# takes kmemleak dumps with the module loaded and after rmmod, and the
# kernel log.  Files written to OUTDIR (on the host's build/):
#   module.txt              release, cmdline, /proc/modules line, sections
#   suite.rc                exit status of tools/run-tests (absent: no tests)
#   kmemleak-loaded.txt     after the suite, module loaded (2 scans)
#   rmmod.rc, rmmod.log     result of `rmmod MODULE`
#   kmemleak-unloaded.txt   after rmmod (2 scans)
#   dmesg.txt               the kernel log, taken last
#   timing.txt              seconds per step
#   done                    written last: the script ran to its end
# Exit status 0 once it ran to the end; the host judges the files.
set -u

[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [TEST...]" >&2; exit 2; }
OUT=$1
shift
MOD=${TA_MODULE:-tieralloc}
KL=/sys/kernel/debug/kmemleak

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

log "kmemleak scan with $MOD loaded"
kmemleak_dump "$OUT/kmemleak-loaded.txt"
step kmemleak-loaded

rmmod "$MOD" >"$OUT/rmmod.log" 2>&1
echo $? >"$OUT/rmmod.rc"
step rmmod

log "kmemleak scan after rmmod"
kmemleak_dump "$OUT/kmemleak-unloaded.txt"
step kmemleak-unloaded

dmesg >"$OUT/dmesg.txt" 2>&1
date -u +%FT%TZ >"$OUT/done"
sync
exit 0
