// SPDX-License-Identifier: MIT
/*
 * The table of TA_* environment variables (libta/src/options.h), row by
 * row and generated from it: every default, range and word parses as the
 * row says and values outside it are refused; every variable libta reads
 * at start-up, set to garbage, gets exactly one message naming it and what
 * it expects, and set to a good value none; preload/README.md's table of
 * variables is the one printed from the table.  (The preload's rows are
 * read at start-up in preload/tests/pl_stats.c, from the same table.)
 *
 * `libta-options --markdown` prints that README table.  The table and its
 * parser are libta-internal: their source is compiled in here.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "tt_test.h"
#include "../src/parse.c"
#include "../src/options.c"

#define ROWS(o)	      for (const struct lt_option *o = lt_options; o < lt_options + LT_NR_OPTIONS; o++)
#define READ_BY_LIBTA (LT_OPT_LIBTA | LT_OPT_USER)

static char out[16384];

static void do_init(void)
{
	ta_init();
}

/* A value @o takes: its default as documented, else its least. */
static const char *good_value(const struct lt_option *o, char *buf, size_t len)
{
	if (!(o->flags & LT_OPT_NODEF))
		return o->def_doc;
	if (o->type == LT_OPT_WORD)
		return o->words[o->min];
	snprintf(buf, len, "%llu", (unsigned long long)o->min);
	return buf;
}

/* The README table of the variables, from the table. */
static void markdown(char *buf, size_t len)
{
	size_t n = 0;

	n += (size_t)snprintf(buf + n, len - n,
			      "| variable | read by | values | default | meaning |\n"
			      "| --- | --- | --- | --- | --- |\n");
	ROWS(o)
	{
		char expect[160];

		lt_opt_expect(o, expect, sizeof(expect));
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "| `%s` | %s | %s | %s | %s |\n", o->name,
				      o->flags & LT_OPT_PRELOAD ? "the preload"
				      : o->flags & LT_OPT_USER	? "libta, user backend"
								: "libta",
				      expect, o->def_doc, o->doc);
	}
}

__attribute__((constructor)) static void markdown_mode(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--markdown")) {
		markdown(out, sizeof(out));
		fputs(out, stdout);
		exit(0);
	}
}

TEST(every_row_parses_as_it_says)
{
	char buf[64], expect[160];
	uint64_t v;

	TH_LOG("checks each row: name, one reader, default, min, max and words parse, the rest "
	       "refused");
	ROWS(o)
	{
		unsigned who = o->flags & (LT_OPT_LIBTA | LT_OPT_USER | LT_OPT_PRELOAD);

		ASSERT_EQ(0, strncmp(o->name, "TA_", 3)) TH_LOG("row %td", o - lt_options);
		for (const struct lt_option *p = lt_options; p < o; p++)
			ASSERT_STRNE(p->name, o->name);
		ASSERT_TRUE(who == LT_OPT_LIBTA || who == LT_OPT_USER || who == LT_OPT_PRELOAD)
		TH_LOG("%s: read by one", o->name);
		ASSERT_NE(0, o->doc[0]);
		ASSERT_NE(0, o->def_doc[0]);
		ASSERT_LE(o->min, o->max);
		lt_opt_expect(o, expect, sizeof(expect));
		ASSERT_NE(0, expect[0]);
		if (!(o->flags & LT_OPT_NODEF)) {
			ASSERT_EQ(0, lt_opt_parse(o, o->def_doc, &v)) TH_LOG("%s", o->name);
			ASSERT_EQ(o->def, v) TH_LOG("%s: the default is as documented", o->name);
		}
		ASSERT_EQ(-1, lt_opt_parse(o, "x", &v)) TH_LOG("%s", o->name);
		ASSERT_EQ(-1, lt_opt_parse(o, "-1", &v)) TH_LOG("%s", o->name);
		switch (o->type) {
		case LT_OPT_BOOL:
			ASSERT_EQ(0, lt_opt_parse(o, "YES", &v));
			ASSERT_EQ(1, v);
			ASSERT_EQ(0, lt_opt_parse(o, "0", &v));
			ASSERT_EQ(0, v);
			ASSERT_EQ(-1, lt_opt_parse(o, "2", &v));
			break;
		case LT_OPT_WORD:
			for (uint64_t i = o->min; i <= o->max; i++) {
				char up[64];
				size_t k;

				for (k = 0; o->words[i][k] && k < sizeof(up) - 1; k++)
					up[k] = (char)toupper((unsigned char)o->words[i][k]);
				up[k] = '\0';
				ASSERT_EQ(0, lt_opt_parse(o, up, &v)) TH_LOG("%s=%s", o->name, up);
				ASSERT_EQ(i, v);
				ASSERT_NE(NULL, strstr(expect, o->words[i]))
				TH_LOG("%s: message names %s", o->name, o->words[i]);
			}
			ASSERT_EQ(-1, lt_opt_parse(o, "0", &v));
			break;
		default:
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->min);
			ASSERT_EQ(0, lt_opt_parse(o, buf, &v)) TH_LOG("%s=%s", o->name, buf);
			ASSERT_EQ(o->min, v);
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->max);
			ASSERT_EQ(0, lt_opt_parse(o, buf, &v)) TH_LOG("%s=%s", o->name, buf);
			ASSERT_EQ(o->max, v);
			if (o->max < UINT64_MAX) {
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->max + 1);
				ASSERT_EQ(-1, lt_opt_parse(o, buf, &v))
				TH_LOG("%s=%s", o->name, buf);
			}
			if (o->min > 0) {
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->min - 1);
				ASSERT_EQ(o->min == 1 && (o->flags & LT_OPT_ZERO) ? 0 : -1,
					  lt_opt_parse(o, buf, &v))
				TH_LOG("%s=%s", o->name, buf);
				ASSERT_EQ((o->flags & LT_OPT_ZERO) ? 0 : -1,
					  lt_opt_parse(o, "0", &v))
				TH_LOG("%s=0", o->name);
			}
			/* A size takes a suffix, a number does not. */
			ASSERT_EQ(o->type == LT_OPT_SIZE && o->min <= 4096 && o->max >= 4096 ? 0
											     : -1,
				  lt_opt_parse(o, "4K", &v))
			TH_LOG("%s=4K", o->name);
			break;
		}
	}
}

TEST(libta_reads_every_row)
{
	unsigned rows = 0;

	TH_LOG("checks each variable libta reads, set to garbage, gets one message naming it");
	if (tt_have_device())
		SKIP(return, "/dev/tieralloc exists: the kernel backend ignores the tiers' rows");
	ROWS(o)
	{
		if (o->flags & READ_BY_LIBTA) {
			setenv(o->name, "x", 1);
			rows++;
		}
	}
	tt_capture_stderr(do_init, out, sizeof(out));
	ROWS(o)
	{
		char key[64];

		if (!(o->flags & READ_BY_LIBTA))
			continue;
		snprintf(key, sizeof(key), "%s='x': expected ", o->name);
		ASSERT_EQ(1, tt_count(out, key)) TH_LOG("%s: stderr was:\n%s", o->name, out);
		snprintf(key, sizeof(key), "%s=", o->name);
		ASSERT_EQ(1, tt_count(out, key)) TH_LOG("%s: stderr was:\n%s", o->name, out);
	}
	ASSERT_EQ(rows, tt_count(out, "tieralloc: ")) TH_LOG("stderr was:\n%s", out);
	ASSERT_EQ(rows, tt_count(out, "; keeping the default ("));
	ASSERT_EQ(TA_HINT_WARM, ta_get_default_hint());
}

TEST(libta_quiet_on_good_values)
{
	char buf[LT_NR_OPTIONS][32];

	TH_LOG("checks every variable libta reads, set to its default (or least) value, is "
	       "quiet");
	if (tt_have_device())
		SKIP(return, "/dev/tieralloc exists: the kernel backend ignores the tiers' rows");
	ROWS(o)
	{
		if (o->flags & READ_BY_LIBTA)
			setenv(o->name, good_value(o, buf[o - lt_options], sizeof(buf[0])), 1);
	}
	tt_capture_stderr(do_init, out, sizeof(out));
	ASSERT_STREQ("", out);
}

TEST(readme_lists_the_table)
{
	static char readme[65536], want[16384];
	static const char begin[] = "<!-- TA_* variables: libta-options --markdown -->\n",
			  end[] = "<!-- end of TA_* variables -->";
	char path[512];
	const char *a, *b;
	size_t n;
	FILE *f;

	TH_LOG("checks preload/README.md's table of variables is the one options.h makes");
	f = tt_open_src("../../preload/README.md", path, sizeof(path));
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	n = fread(readme, 1, sizeof(readme) - 1, f);
	fclose(f);
	readme[n] = '\0';
	markdown(want, sizeof(want));
	a = strstr(readme, begin);
	ASSERT_NE(NULL, a) TH_LOG("%s: no line %s", path, begin);
	a += strlen(begin);
	b = strstr(a, end);
	ASSERT_NE(NULL, b) TH_LOG("%s: no line %s", path, end);
	ASSERT_TRUE((size_t)(b - a) == strlen(want) && !strncmp(a, want, strlen(want)))
	TH_LOG("%s: the table differs; write in the output of "
	       "build/libta/tests/libta-options --markdown:\n%s",
	       path, want);
}

TEST_HARNESS_MAIN
