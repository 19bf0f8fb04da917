// SPDX-License-Identifier: BSD-2-Clause
#include "gunzip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gunzip(const void *data, size_t len, char **out, size_t *out_len)
{
	char path[] = "/tmp/tcflow-gunzip-XXXXXX", cmd[64];
	size_t n = 0, cap = 1 << 16;
	char *text = malloc(cap + 1);
	int fd = mkstemp(path), status;
	FILE *p;
	size_t got;

	if (fd < 0 || !text || write(fd, data, len) != (ssize_t)len) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(text);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "gzip -dc < %s", path);
	p = popen(cmd, "r");
	while (p && (got = fread(text + n, 1, cap - n, p)) > 0) {
		n += got;
		if (n == cap)
			text = realloc(text, (cap *= 2) + 1);
	}
	status = p ? pclose(p) : -1;
	unlink(path);
	if (status != 0) {
		free(text);
		return -1;
	}
	text[n] = '\0';
	*out = text;
	*out_len = n;
	return 0;
}
