/* SPDX-License-Identifier: MIT */
/*
 * The values of libta's and the preload's environment variables, parsed
 * once (parse.c).  Free of libta's internals so that the preload includes
 * it too.  pytorch/tieralloc's _parse_size() mirrors lt_parse_size(), and
 * both are tested on the cases of libta/tests/size_cases.txt.
 */
#ifndef TA_PARSE_H
#define TA_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A size: decimal digits with an optional K, M, G or T suffix (powers of
 * 1024, either case), which may be followed by B, b or iB.  Returns 0 and
 * *@out, or -1 for anything else and for sizes of 2^64 or more.
 */
int lt_parse_size(const char *s, uint64_t *out) __attribute__((visibility("hidden")));
/* 1, yes, true, on / 0, no, false, off (either case): 0 and *@out, or -1. */
int lt_parse_bool(const char *s, bool *out) __attribute__((visibility("hidden")));

#endif /* TA_PARSE_H */
