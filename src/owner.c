// SPDX-License-Identifier: BSD-2-Clause
#include "owner.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t owner_addr(uint32_t prog_id, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] stays '\0': the abstract namespace, no file. */
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "tcflow_exporter/prog/%u", prog_id);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int owner_claim(uint32_t prog_id)
{
	struct sockaddr_un sa;
	socklen_t len = owner_addr(prog_id, &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 16)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int owner_lookup(uint32_t prog_id, int *pid)
{
	struct sockaddr_un sa;
	socklen_t len = owner_addr(prog_id, &sa);
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int live;

	*pid = 0;
	if (fd < 0)
		return 0;
	/* The listener's credentials come with the connection, accepted or
	 * not; a full backlog (EAGAIN) still proves the name is held. */
	if (connect(fd, (struct sockaddr *)&sa, len) == 0) {
		live = 1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			*pid = cred.pid;
	} else {
		live = errno == EAGAIN;
	}
	close(fd);
	return live;
}

void owner_drain(int fd)
{
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(c);
}
