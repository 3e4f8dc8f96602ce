// SPDX-License-Identifier: MIT
/*
 * A library pl_robust dlopen()s: it allocates in its constructor, frees in
 * its destructor, and has a TLS block too big for the static TLS surplus,
 * so every thread that touches it gets it from malloc (__tls_get_addr) and
 * gives it back with free at thread exit or dlclose.
 */
#include <stdlib.h>
#include <string.h>

#define TLS_BYTES (64 << 10)

static __thread char tls_buf[TLS_BYTES];
static char *ctor_block;

__attribute__((constructor)) static void pl_dl_ctor(void)
{
	ctor_block = malloc(1000);
	if (ctor_block)
		memset(ctor_block, 0x42, 1000);
}

__attribute__((destructor)) static void pl_dl_dtor(void)
{
	free(ctor_block);
	ctor_block = NULL;
}

void *pl_dl_alloc(size_t n);
void pl_dl_free(void *p);
char *pl_dl_tls(void);
const char *pl_dl_ctor_block(void);
size_t pl_dl_tls_bytes(void);

void *pl_dl_alloc(size_t n)
{
	return malloc(n);
}

void pl_dl_free(void *p)
{
	free(p);
}

char *pl_dl_tls(void)
{
	tls_buf[0]++;
	tls_buf[TLS_BYTES - 1]++;
	return tls_buf;
}

const char *pl_dl_ctor_block(void)
{
	return ctor_block;
}

size_t pl_dl_tls_bytes(void)
{
	return TLS_BYTES;
}
