// SPDX-License-Identifier: MIT
/*
 * lt_parse_size() and lt_parse_bool(), the one parser of libta's and the
 * preload's environment, on the cases of size_cases.txt (which the Python
 * package's _parse_size() is tested on too).  The parser is libta-internal:
 * its source is compiled in here.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "tt_test.h"
#include "../src/parse.c"

TEST(sizes)
{
	char line[256], path[512];
	int cases = 0;
	FILE *f;

	TH_LOG("checks every case of size_cases.txt");
	f = tt_open_src("size_cases.txt", path, sizeof(path));
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *in, *want, *end;
		uint64_t v = 0;
		int r;

		if (line[0] != '|')
			continue;
		in = line + 1;
		want = strchr(in, '|');
		ASSERT_NE(NULL, want);
		*want++ = '\0';
		want[strcspn(want, "\n")] = '\0';
		r = lt_parse_size(in, &v);
		if (!strcmp(want, "error")) {
			ASSERT_EQ(-1, r) TH_LOG("'%s' parsed as %llu", in, (unsigned long long)v);
		} else {
			ASSERT_EQ(0, r) TH_LOG("'%s' refused", in);
			ASSERT_EQ(strtoull(want, &end, 10), v) TH_LOG("'%s'", in);
		}
		cases++;
	}
	fclose(f);
	ASSERT_GE(cases, 30);
}

TEST(bools)
{
	static const char *const yes[] = { "1", "yes", "YES", "true", "True", "on" };
	static const char *const no[] = { "0", "no", "false", "FALSE", "off", "Off" };
	static const char *const bad[] = { "", "2", "y", "n", "yes ", "01", "enable" };
	bool b;

	TH_LOG("checks the words of a switch, in either case, and what is not one");
	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		ASSERT_EQ(0, lt_parse_bool(yes[i], &b));
		ASSERT_TRUE(b);
		ASSERT_EQ(0, lt_parse_bool(no[i], &b));
		ASSERT_FALSE(b);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		ASSERT_EQ(-1, lt_parse_bool(bad[i], &b)) TH_LOG("'%s'", bad[i]);
		ASSERT_TRUE(b);
	}
}

TEST_HARNESS_MAIN
