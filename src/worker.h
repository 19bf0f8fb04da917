/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A second thread, kept between scrapes, that runs one job beside its
 * caller: half of a large body's flow series are rendered and compressed
 * there, each half with its own text and deflate stream, for handing 316
 * MB of text from one core to the other costs more than it saves (about
 * 5 GB/s on the machine of BENCHMARKS.md); or the second half of a text
 * held whole (under 32 MiB, still in the cache the cores share) is
 * gzipped there.
 */
#ifndef TCFLOW_WORKER_H
#define TCFLOW_WORKER_H

struct worker;

/* NULL when no thread can be started. */
struct worker *worker_new(void);
/* *w, started on first need; NULL where *none is set (one CPU, a test) or
 * once no thread could be had, which sets it: not tried again. */
struct worker *worker_lazy(struct worker **w, int *none);
/* Runs fn(arg) on the thread; one job at a time, each ended by
 * worker_join before the next. */
void worker_start(struct worker *w, void (*fn)(void *arg), void *arg);
/* Until the job has returned: what it wrote is then the caller's. */
void worker_join(struct worker *w);
void worker_free(struct worker *w);

#endif
