// SPDX-License-Identifier: MIT
/*
 * libta/src/list.h, the one intrusive doubly linked list of libta: pushes
 * at either end, removal of the first, a middle and the last element, with
 * and without a last pointer; every element's links and both ends checked
 * against the expected order after each step.
 */
#include "kselftest_harness.h"
#include "tt_test.h"
#include "../src/list.h"

struct el {
	int id;
	struct el *fwd, *back; /* any field names */
};

LT_DLIST(el_list, struct el, fwd, back)

/* The list from @first (and @last, when not NULL) is exactly the ids in @want. */
static int check(struct el *first, struct el *last, const int *want, int n)
{
	struct el *e = first, *prev = NULL;

	for (int i = 0; i < n; i++, prev = e, e = e->fwd) {
		if (!e || e->id != want[i] || e->back != prev)
			return 0;
	}
	return e == NULL && (n ? prev == last || !last : first == NULL);
}

TEST(queue_with_last)
{
	struct el e[5] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 }, { .id = 4 } };
	struct el *first = NULL, *last = NULL;

	TH_LOG("checks push_front, push_back and del keep first, last and every link right");
	el_list_push_back(&first, &last, &e[1]);
	ASSERT_TRUE(check(first, last, (int[]){ 1 }, 1));
	el_list_push_front(&first, &last, &e[0]);
	el_list_push_back(&first, &last, &e[2]);
	el_list_push_back(&first, &last, &e[3]);
	ASSERT_TRUE(check(first, last, (int[]){ 0, 1, 2, 3 }, 4));
	ASSERT_EQ(&e[3], last);
	el_list_del(&first, &last, &e[2]); /* middle */
	ASSERT_TRUE(check(first, last, (int[]){ 0, 1, 3 }, 3));
	ASSERT_EQ(NULL, e[2].fwd);
	ASSERT_EQ(NULL, e[2].back);
	el_list_del(&first, &last, &e[3]); /* last */
	ASSERT_EQ(&e[1], last);
	el_list_del(&first, &last, &e[0]); /* first */
	ASSERT_TRUE(check(first, last, (int[]){ 1 }, 1));
	el_list_del(&first, &last, &e[1]);
	ASSERT_EQ(NULL, first);
	ASSERT_EQ(NULL, last);
	el_list_push_front(&first, &last, &e[4]);
	ASSERT_TRUE(check(first, last, (int[]){ 4 }, 1));
	ASSERT_EQ(&e[4], last);
}

TEST(list_without_last)
{
	struct el e[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct el *first = NULL;

	TH_LOG("checks a list with no last pointer: push_front and del at every place");
	for (int i = 2; i >= 0; i--)
		el_list_push_front(&first, NULL, &e[i]);
	ASSERT_TRUE(check(first, NULL, (int[]){ 0, 1, 2 }, 3));
	el_list_del(&first, NULL, &e[2]);
	ASSERT_TRUE(check(first, NULL, (int[]){ 0, 1 }, 2));
	el_list_del(&first, NULL, &e[0]);
	ASSERT_TRUE(check(first, NULL, (int[]){ 1 }, 1));
	el_list_del(&first, NULL, &e[1]);
	ASSERT_EQ(NULL, first);
}

TEST_HARNESS_MAIN
