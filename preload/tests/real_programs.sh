#!/bin/bash
# SPDX-License-Identifier: MIT
# Real programs nobody here wrote, run under glibc's malloc and under
# libta_preload.so: their stdout, stderr and exit status must be identical,
# byte for byte.  Prints TAP, one line per program.
#
#   real_programs                     the test (TAP)
#   real_programs --list              workload names
#   real_programs --setup DIR         generate the inputs into DIR
#   real_programs --run NAME DIR MODE run one workload on DIR's inputs,
#                                     MODE glibc or preload (for benchmarks)
#
# Every program the workload starts (gcc's cc1/as/ld, git's helpers, make's
# shells) runs in the same mode: LD_PRELOAD is exported to the whole
# workload.  Environment: TA_PRELOAD (default: libta_preload.so of this
# build), RP_SCALE (amount of work, default 1, 0.15 in the VM), RP_ONLY
# (space-separated workload names).
# The w_* workloads are called by name ("w_$name"), which shellcheck cannot see.
# shellcheck disable=SC2317
set -u
export LC_ALL=C TZ=UTC PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1

HERE=$(cd "$(dirname "$0")" && pwd -P)
if [ -z "${TA_PRELOAD:-}" ]; then
	for c in "$HERE/../../libta_preload.so" "$HERE/../../build/libta_preload.so"; do
		[ -f "$c" ] && { TA_PRELOAD=$(cd "$(dirname "$c")" && pwd -P)/libta_preload.so; break; }
	done
fi
: "${TA_PRELOAD:=}"
CTL=$(dirname "$TA_PRELOAD")/tierallocctl
if [ -z "${RP_SCALE:-}" ]; then
	[ -n "${TA_VM:-}" ] && RP_SCALE=0.15 || RP_SCALE=1
fi
WORKLOADS="python3 sqlite3 perl gcc git sort xz gzip make"

# n BASE: BASE scaled by RP_SCALE, at least 1.
n() { awk -v b="$1" -v s="$RP_SCALE" 'BEGIN { v = int(b * s); print v < 1 ? 1 : v }'; }

# ---- inputs ----

setup() {
	local d=$1 i
	mkdir -p "$d"
	# Text: "word number" lines from a fixed linear congruential generator.
	awk -v n="$(n 200000)" 'BEGIN {
		x = 12345
		for (i = 0; i < n; i++) {
			x = (x * 1103515245 + 12345) % 2147483648
			w = ""
			for (j = 0; j < 3 + x % 7; j++)
				w = w sprintf("%c", 97 + int(x / (j + 1)) % 26)
			print w, x % 100000
		}
	}' > "$d/words.txt"
	# Compressible binary-ish blob: the text and a numbered log.
	{ cat "$d/words.txt"; seq 1 "$(n 100000)" | sed 's/^/line /'; } > "$d/blob"
	# A C program with many functions for gcc.
	{
		echo '#include <stdio.h>'
		echo '#include <string.h>'
		for i in $(seq 1 "$(n 250)"); do
			cat <<EOF
struct s$i { int a[$((i % 13 + 1))]; double d; char name[$((i % 29 + 3))]; };
static int f$i(int x)
{
	struct s$i v;
	memset(&v, 0, sizeof(v));
	for (int k = 0; k < $((i % 13 + 1)); k++)
		v.a[k] = x * k + $i;
	v.d = x / 3.0 + $i;
	snprintf(v.name, sizeof(v.name), "f%d", x);
	return v.a[$((i % 13))] + (int)v.d + (int)strlen(v.name) + (x > 1 ? f$(((i > 1) ? i - 1 : 1))(x / 2) : 0);
}
EOF
		done
		echo 'int main(void)'
		echo '{'
		echo '	long t = 0;'
		for i in $(seq 1 "$(n 250)"); do echo "	t += f$i($i);"; done
		# shellcheck disable=SC2028 # C source: the \n is for printf
		echo '	printf("%ld\n", t);'
		echo '	return 0;'
		echo '}'
	} > "$d/prog.c"
	# Sources for git.
	mkdir -p "$d/tree"
	for i in $(seq 1 "$(n 300)"); do
		sed -n "$((i * 37)),$((i * 37 + 200))p" "$d/words.txt" > "$d/tree/file$i.txt"
	done
}

# ---- workloads: print their results on stdout ----

w_python3() {
	/usr/bin/python3 - "$(n 100000)" <<'EOF'
import collections, hashlib, heapq, json, re, sys
n = int(sys.argv[1])
x, recs = 42, []
for i in range(n):
    x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    recs.append({"id": i, "key": "k%x" % (x >> 40), "v": (x >> 20) % 100003,
                 "tags": ["t%d" % ((x >> s) % 50) for s in (3, 11, 19)]})
s = json.dumps(recs, sort_keys=True)
back = json.loads(s)
assert back == recs
byv = sorted(back, key=lambda r: (r["v"], r["key"]))
cnt = collections.Counter(t for r in back for t in r["tags"])
idx = collections.defaultdict(list)
for r in back:
    idx[r["key"][:3]].append(r["id"])
words = re.findall(r"[a-f]+", s[: 2000000])
print(len(s), hashlib.sha256(s.encode()).hexdigest())
print(byv[0]["id"], byv[-1]["id"], len(idx), cnt.most_common(3))
print(heapq.nlargest(5, (r["v"] for r in back)), len(words), len(set(words)))
big = bytearray(20 << 20)
for i in range(0, len(big), 4096):
    big[i] = i % 251
print(sum(big[::4096]) % 1000003)
EOF
}

w_sqlite3() {
	local db=$1/test.db
	rm -f "$db"
	sqlite3 "$db" <<EOF
PRAGMA journal_mode=OFF;
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER, pad TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $(n 100000))
INSERT INTO t SELECT x, printf('k%05d', (x * 7919) % 10007), (x * 104729) % 99991,
	substr(hex(randomblob(0)) || printf('%.60d', x), 1, 40) FROM c;
CREATE INDEX t_k ON t(k);
CREATE TABLE u AS SELECT k, count(*) AS n, sum(v) AS s, avg(v) AS a FROM t GROUP BY k;
SELECT count(*), sum(v), min(k), max(k) FROM t;
SELECT k, n, s, printf('%.3f', a) FROM u ORDER BY s DESC, k LIMIT 5;
SELECT count(*) FROM t JOIN u USING (k) WHERE t.v > u.a;
SELECT group_concat(id) FROM (SELECT id FROM t WHERE k = 'k00042' ORDER BY id);
UPDATE t SET pad = upper(pad) WHERE id % 3 = 0;
DELETE FROM t WHERE id % 7 = 0;
VACUUM;
SELECT count(*), total(length(pad)) FROM t;
PRAGMA integrity_check;
EOF
}

w_perl() {
	perl -e '
		use strict; use warnings; use Digest::MD5 qw(md5_hex);
		my $n = shift; my (%h, @l); my $x = 7;
		for my $i (1 .. $n) {
			$x = ($x * 1103515245 + 12345) % 2147483648;
			my $k = sprintf("key%07d", $x % 1000003);
			$h{$k} .= "$i,"; push @l, [$k, $x % 9973];
		}
		my @s = sort { $a->[1] <=> $b->[1] or $a->[0] cmp $b->[0] } @l;
		my $j = join("\n", map { "$_->[0]=$_->[1]" } @s);
		(my $t = $j) =~ s/key0*(\d+)/K$1/g;
		my @m = ($t =~ /K(\d{3})=/g);
		print scalar(keys %h), " ", md5_hex($j), " ", md5_hex($t), " ", scalar(@m), "\n";
		print "$s[0][0] $s[-1][0]\n";
	' "$(n 150000)"
}

w_gcc() {
	local w=$1/gcc
	rm -rf "$w" && mkdir -p "$w" && cp "$DATA/prog.c" "$w/" && cd "$w" || return 1
	gcc -O2 -Wall -c prog.c -o prog.o && gcc -o prog prog.o && ./prog &&
		sha256sum prog.o prog
}

w_git() {
	local w=$1/git f
	rm -rf "$w" && mkdir -p "$w" && cd "$w" || return 1
	export HOME=$w GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Tier GIT_AUTHOR_EMAIL=tier@example.com \
		GIT_COMMITTER_NAME=Alloc GIT_COMMITTER_EMAIL=alloc@example.com \
		GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
	git -c init.defaultBranch=main init -q repo && cd repo || return 1
	cp "$DATA"/tree/* .
	git add . && git commit -q -m "import" || return 1
	# shellcheck disable=SC2012 # our own generated names, no spaces
	for f in $(ls | sed -n '1~6p'); do sort -r "$f" > "$f.new" && mv "$f.new" "$f"; done
	git mv file1.txt renamed.txt && git rm -q file2.txt && git commit -q -am "rework" || return 1
	git log --stat --format='%H %an %s' | head -40
	git diff --stat HEAD~1 | tail -3
	git -c pack.threads=1 repack -adq && git count-objects -v | grep -v size
	git fsck --no-progress 2>&1 | head -5
	git rev-parse HEAD 'HEAD^{tree}'
}

w_sort() {
	local w=$1
	sort -S 32M --parallel=2 -k2,2n -k1,1 "$DATA/words.txt" > "$w/sorted.txt" &&
		sort -c -k2,2n -k1,1 "$w/sorted.txt" && md5sum < "$w/sorted.txt" &&
		sort -u "$DATA/words.txt" | wc -l && sort -rn -k2,2 "$DATA/words.txt" | head -3
}

w_xz() {
	cd "$1" || return 1
	xz -T2 -6 -c "$DATA/blob" > blob.xz && xz -d -T2 -c blob.xz | cmp - "$DATA/blob" &&
		sha256sum < blob.xz && xz -l blob.xz | tail -1
}

w_gzip() {
	local w=$1
	gzip -6 -n -c "$DATA/blob" > "$w/blob.gz" && gzip -d -c "$w/blob.gz" | cmp - "$DATA/blob" &&
		sha256sum < "$w/blob.gz"
}

w_make() {
	local w=$1/make i
	rm -rf "$w" && mkdir -p "$w/src" && cd "$w" || return 1
	for i in $(seq 1 "$(n 50)"); do sed -n "$i,$((i + 50))p" "$DATA/words.txt" > "src/m$i.in"; done
	cat > Makefile <<'EOF'
SRCS := $(sort $(wildcard src/*.in))
OUTS := $(patsubst src/%.in,out/%.out,$(SRCS))
WORDS = $(words $(SRCS))
all: out/summary
out/%.out: src/%.in | out
	@sort -k2,2n $< | awk '{ s += $$2 } END { print FILENAME, NR, s }' FILENAME=$* > $@
out:
	@mkdir -p $@
out/summary: $(OUTS)
	@cat $^ | sort > $@
	@echo "$(WORDS) inputs, $(shell cat $^ | wc -l) lines"
.PHONY: all
EOF
	make -s -j2 -O && make -q && md5sum < out/summary && make -s -n clean 2>&1 | head -2
}

run_workload() {	# NAME DIR MODE
	local name=$1 dir=$2 mode=$3
	(
		if [ "$mode" = preload ]; then
			export LD_PRELOAD=$TA_PRELOAD
		else
			unset LD_PRELOAD
		fi
		"w_$name" "$dir"
	)
}

case ${1:-} in
--list) echo "$WORKLOADS"; exit 0 ;;
--setup) [ $# -eq 2 ] || exit 2; setup "$2"; exit ;;
--run)
	[ $# -eq 4 ] || exit 2
	DATA=$3
	w=$(mktemp -d "${TMPDIR:-/tmp}/rp.$2.XXXXXX") || exit 1
	run_workload "$2" "$w" "$4"
	rc=$?
	rm -rf "$w"
	exit $rc ;;
'') ;;
*) echo "usage: $0 [--list | --setup DIR | --run NAME DIR MODE]" >&2; exit 2 ;;
esac

# ---- the test ----

want=${RP_ONLY:-$WORKLOADS}
# shellcheck disable=SC2086 # a list of workload names
set -- $want
echo "1..$(($# + 2))"
if [ ! -f "$TA_PRELOAD" ]; then
	i=0
	for name in $want tiered_python3 shm_files_removed; do
		i=$((i + 1)); echo "not ok $i $name # libta_preload.so not found"
	done
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/real_programs.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
DATA=$TMP/data
setup "$DATA"
shm_files() { # how many per-process statistics files /dev/shm holds
	local f n=0
	for f in /dev/shm/tieralloc.*; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}
shm_before=$(shm_files)
i=0
fail=0
for name in $want; do
	i=$((i + 1))
	bin=$name
	[ "$name" = python3 ] && bin=/usr/bin/python3
	if ! command -v "$bin" >/dev/null; then
		echo "ok $i $name # SKIP $name not installed"
		continue
	fi
	for mode in glibc preload; do
		mkdir -p "$TMP/$mode"
		start=$(date +%s.%N)
		run_workload "$name" "$TMP/$mode" "$mode" > "$TMP/$name.$mode.out" 2> "$TMP/$name.$mode.err"
		echo $? > "$TMP/$name.$mode.rc"
		echo "# $name under $mode: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f s", e - s }'), exit $(cat "$TMP/$name.$mode.rc")"
	done
	bad=
	for part in out err rc; do
		cmp -s "$TMP/$name.glibc.$part" "$TMP/$name.preload.$part" || bad="$bad $part"
	done
	if [ "$(cat "$TMP/$name.glibc.rc")" != 0 ]; then
		echo "# $name fails under glibc too:"; sed 's/^/#   /' "$TMP/$name.glibc.err" | head -10
		bad="$bad exit-status"
	fi
	if [ -z "$bad" ] && [ ! -s "$TMP/$name.glibc.out" ]; then
		bad=" no-output"
	fi
	if [ -z "$bad" ]; then
		echo "ok $i $name"
	else
		echo "not ok $i $name # differs:$bad"
		for part in out err; do
			diff "$TMP/$name.glibc.$part" "$TMP/$name.preload.$part" | head -20 | sed "s/^/#   $part: /"
		done
		fail=1
	fi
done

# A real program's memory really sits where the hint says, and tierallocctl
# sees it: python3 with TA_DEFAULT_HINT=cold holds a 64 MiB bytearray.
i=$((i + 1))
PY='import os, sys, time
b = bytearray(64 << 20)
for k in range(0, len(b), 4096): b[k] = 1
print(os.getpid(), flush=True)
sys.stdin.read()'
coproc PYC { TA_DEFAULT_HINT=cold TA_STATS_INTERVAL_MS=1 LD_PRELOAD=$TA_PRELOAD /usr/bin/python3 -c "$PY"; }
read -r -t 60 pid <&"${PYC[0]}"
sleep 0.2
json=$("$CTL" stats --pid "${pid:-0}" --json 2> "$TMP/ctl.err")
rc=$?
# shellcheck disable=SC1083,SC2093 # closes the coprocess's input fd
exec {PYC[1]}>&-
wait "$PYC_PID" 2>/dev/null
slow=$(printf '%s' "$json" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["tiers"]["slow"]["reserved_bytes"])' 2>/dev/null)
if [ "$rc" = 0 ] && [ "${slow:-0}" -ge $((64 << 20)) ]; then
	echo "ok $i tiered_python3"
	echo "# slow tier of python3 (pid $pid): $slow bytes reserved"
else
	echo "not ok $i tiered_python3 # tierallocctl exit $rc, slow tier ${slow:-?} bytes"
	sed 's/^/#   /' "$TMP/ctl.err" | head -5
	fail=1
fi

# Every preloaded process removed its statistics file at exit.
i=$((i + 1))
shm_after=$(shm_files)
if [ "$shm_after" -le "$shm_before" ]; then
	echo "ok $i shm_files_removed"
else
	echo "not ok $i shm_files_removed # $((shm_after - shm_before)) /dev/shm/tieralloc.* files left"
	fail=1
fi
exit $fail
