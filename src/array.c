// SPDX-License-Identifier: BSD-2-Clause
#include "array.h"

#include <stdlib.h>

int array_grow(void *arrp, size_t *cap, size_t need, size_t size)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}
