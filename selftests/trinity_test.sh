#!/bin/bash
# trinity (Debian's system call fuzzer) aimed at /dev/tieralloc: its file
# descriptors are the device only (-V; trinity's "pseudo" provider opens the
# victim files, the other providers are off), the calls the ones that reach a
# character device and its mappings, as an unprivileged user.  Passes when
# trinity ran its TA_TRINITY_OPS calls (default 5000) without the kernel
# tainting itself with BUG, WARN or DIE (the module's own out-of-tree taint
# is not counted), with the device open meanwhile, and the module's
# accounting back to where it started.
# Seeded (TA_TRINITY_SEED, default 1).  Skips loudly without the module or
# trinity.
set -u
echo "TAP version 13"
echo "1..2"
skip() { echo "ok 1 trinity # SKIP $1"; echo "ok 2 trinity_accounting # SKIP $1"; exit 0; }
[ -c /dev/tieralloc ] || skip "/dev/tieralloc missing (tieralloc.ko not loaded)"
command -v trinity >/dev/null || skip "trinity is not installed (make deps installs it)"

ops=${TA_TRINITY_OPS:-5000}
seed=${TA_TRINITY_SEED:-1}
sys=/sys/class/misc/tieralloc
snap() { cat "$sys/live_regions" "$sys"/*/reserved_bytes "$sys"/*/resident_bytes 2>/dev/null | tr "\n" " "; }
taint() { cat /proc/sys/kernel/tainted; }
# Taint bits: BAD_PAGE (5), DIE (7), WARN (9).
bad_taint=$(( (1 << 5) | (1 << 7) | (1 << 9) ))

before=$(snap)
t0=$(taint)
dir=$(mktemp -d /tmp/trinity.XXXXXX)
chmod 0777 "$dir"
cd "$dir" || exit 1
echo "# trinity: $ops calls, seed $seed, 2 children, victim /dev/tieralloc"
# Sample how many files have the device open: a run that never opened it
# would prove nothing.
(
	max=0
	while [ ! -e "$dir/stop" ]; do
		v=$(cat "$sys/open_files" 2>/dev/null || echo 0)
		[ "$v" -gt "$max" ] && max=$v && echo "$max" >"$dir/max_open"
		sleep 0.2
	done
) &
sampler=$!
timeout -k 10 900 trinity -q -l off -N "$ops" -C 2 -s "$seed" -X \
	-T BAD_PAGE,WARN,DIE -V /dev/tieralloc \
	--disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm \
	-c ioctl -c mmap -c munmap -c mremap -c madvise -c mprotect -c msync \
	-c read -c write -c close -c dup -c fcntl -c lseek -c mlock -c munlock \
	>"$dir/out" 2>&1
rc=$?
touch "$dir/stop"
wait "$sampler"
max_open=$(cat "$dir/max_open" 2>/dev/null || echo 0)
tail -n 15 "$dir/out" | sed 's/^/# /'
echo "# files open on /dev/tieralloc during the run: up to $max_open"
t1=$(taint)
if [ $(( (t1 & ~t0) & bad_taint )) -ne 0 ]; then
	echo "not ok 1 trinity: the kernel tainted itself (tainted $t0 -> $t1)"
elif [ "$rc" -ne 0 ]; then
	echo "not ok 1 trinity: exit status $rc"
elif [ "$max_open" -eq 0 ]; then
	echo "not ok 1 trinity: never opened /dev/tieralloc"
else
	echo "ok 1 trinity"
fi
cd / && rm -rf "$dir"
# Trinity's children are gone; their files and mappings with them.
for _ in $(seq 20); do
	[ "$(snap)" = "$before" ] && break
	sleep 0.5
done
after=$(snap)
if [ "$after" = "$before" ]; then
	echo "ok 2 trinity_accounting"
else
	echo "# before: $before"
	echo "# after:  $after"
	echo "not ok 2 trinity_accounting"
fi
