/* SPDX-License-Identifier: MIT */
/* Compiler attributes of libta and the preload (which includes this too). */
#ifndef TA_COMPILER_H
#define TA_COMPILER_H

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define TA_TLS	    __thread __attribute__((tls_model("initial-exec")))
#define TA_HIDDEN   __attribute__((visibility("hidden")))
#define TA_EXPORT   __attribute__((visibility("default")))
#define TA_COLD	    __attribute__((cold, noinline))

#endif /* TA_COMPILER_H */
