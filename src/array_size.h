/* The element count of an array (never of a pointer). */
#ifndef TCFLOW_ARRAY_SIZE_H
#define TCFLOW_ARRAY_SIZE_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
