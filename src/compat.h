/* Small portability shims shared by the user-space modules. */
#ifndef TCFLOW_COMPAT_H
#define TCFLOW_COMPAT_H

#include <microhttpd.h>

/* libmicrohttpd changed handler return types in 0.9.71. */
#if MHD_VERSION >= 0x00097002
#define MHD_RESULT enum MHD_Result
#else
#define MHD_RESULT int
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
