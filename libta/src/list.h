/* SPDX-License-Identifier: MIT */
/*
 * Intrusive doubly linked lists, written once for libta and the preload.
 *
 * An element holds its own two links, pointers to its neighbours (NULL at
 * either end), in fields of its choosing; a list is a pointer to its first
 * element, and, when it keeps one, a pointer to its last (a queue).  Both
 * ends are plain NULL-terminated pointers, so that a fast path reads the
 * first element with one load and tests it against NULL.
 *
 * LT_DLIST(name, type, next, prev) defines, for elements of @type linked
 * through the fields @next and @prev:
 *
 *   name_push_front(&first, &last, e)   @last may be NULL: no last pointer
 *   name_push_back(&first, &last, e)
 *   name_del(&first, &last, e)          @e's links are NULL afterwards
 *
 * The caller serialises (a lock, or one owner thread).
 */
#ifndef TA_LIST_H
#define TA_LIST_H

#include <stddef.h>

#define LT_DLIST(name, type, next, prev)                                         \
	static inline void name##_push_front(type **first, type **last, type *e) \
	{                                                                        \
		e->prev = NULL;                                                  \
		e->next = *first;                                                \
		if (*first)                                                      \
			(*first)->prev = e;                                      \
		else if (last)                                                   \
			*last = e;                                               \
		*first = e;                                                      \
	}                                                                        \
	static inline void name##_push_back(type **first, type **last, type *e)  \
	{                                                                        \
		e->next = NULL;                                                  \
		e->prev = *last;                                                 \
		if (*last)                                                       \
			(*last)->next = e;                                       \
		else                                                             \
			*first = e;                                              \
		*last = e;                                                       \
	}                                                                        \
	static inline void name##_del(type **first, type **last, type *e)        \
	{                                                                        \
		if (e->prev)                                                     \
			e->prev->next = e->next;                                 \
		else                                                             \
			*first = e->next;                                        \
		if (e->next)                                                     \
			e->next->prev = e->prev;                                 \
		else if (last)                                                   \
			*last = e->prev;                                         \
		e->next = e->prev = NULL;                                        \
	}

#endif /* TA_LIST_H */
