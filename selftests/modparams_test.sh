#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tieralloc.ko load and unload: module parameters override tier discovery,
# bad parameters are refused with a clear message, unload works once
# nobody uses the module, and a plain reload discovers the tiers again.
# Leaves the module loaded as it found it.  TAP output.
# shellcheck disable=SC2016,SC2034 # check() evals its single-quoted conditions
cd "$(dirname "$0")/.." 2>/dev/null || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

echo "TAP version 13"
echo "1..6"
# The debug kernels' modules are built by tools/check-debug (see tools/vmrun).
case ${TA_VM_KERNEL:-} in
debug | debug-*) ko=build/kmod/$TA_VM_KERNEL/tieralloc.ko ;;
*) ko=build/kmod/$(uname -r)/tieralloc.ko ;;
esac
if [ "$(id -u)" != 0 ] || [ ! -f "$ko" ] || [ ! -e /dev/tieralloc ] ||
   [ "$(cat /sys/devices/system/node/has_memory 2>/dev/null)" != 0-2 ]; then
	for t in unload reject-bad-node override-nodes override-flags rediscover reload; do
		skip "$t" "needs root, $ko, the module loaded and the 3-node VM"
	done
	exit 0
fi
sys=/sys/class/misc/tieralloc

check "unload with no users" 'rmmod tieralloc && [ ! -e /dev/tieralloc ]'
dmesg -c >/dev/null 2>&1
check "node_fast=7 is refused, with a message" \
	'! insmod "$ko" node_fast=7 2>/dev/null && dmesg | grep -q "node_fast=7: node is offline or has no memory"'
if insmod "$ko" node_slow=1 node_normal=2; then
	check "parameters place the tiers" \
		'[ "$(cat $sys/fast/node $sys/normal/node $sys/slow/node | tr "\n" " ")" = "0 2 1 " ]'
	# TA_TIER_INFO_OVERRIDE is 4; SLOW and NORMAL were set by parameter.
	check "overridden tiers say so" \
		'[ $(( $(cat $sys/slow/info_flags) & 4 )) = 4 ] && [ $(( $(cat $sys/fast/info_flags) & 4 )) = 0 ]'
	rmmod tieralloc
else
	fail "insmod with node parameters"
	fail "overridden tiers say so"
fi
insmod "$ko"
check "a plain load discovers FAST/NORMAL/SLOW = 0/1/2 again" \
	'[ "$(cat $sys/fast/node $sys/normal/node $sys/slow/node | tr "\n" " ")" = "0 1 2 " ]'
check "the device is back" '[ -c /dev/tieralloc ]'
[ "$fails" = 0 ]
