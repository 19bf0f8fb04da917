// SPDX-License-Identifier: BSD-2-Clause
#include "process_metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double boot_time(void)
{
	char line[256];
	double btime = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lf", &btime) == 1)
			break;
	fclose(f);
	return btime;
}

static double count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	double n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the descriptor opendir itself holds */
}

int process_metrics_read(struct process_stats *ps)
{
	unsigned long utime, stime, vsize;
	unsigned long long start;
	long rss, ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	char buf[1024], *p;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
			 "%*d %*d %*d %*d %*d %*d %llu %lu %ld", &utime, &stime, &start,
			 &vsize, &rss) != 5)
		return -1;
	ps->cpu_seconds = (double)(utime + stime) / (double)ticks;
	ps->start_time_seconds = boot_time() + (double)start / (double)ticks;
	ps->virtual_memory_bytes = (double)vsize;
	ps->resident_memory_bytes = (double)rss * (double)page;
	ps->open_fds = count_fds();
	ps->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (double)rl.rlim_cur : 0;
	return 0;
}

