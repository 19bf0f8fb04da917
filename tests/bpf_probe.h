/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the tests that load the BPF object: whether they can run here. */
#ifndef TCFLOW_TEST_BPF_PROBE_H
#define TCFLOW_TEST_BPF_PROBE_H

/* 1 when this machine loads the object (as replay or live programs), else
 * 0 after saying why on stderr: the test then exits 77 (skip). */
int bpf_probe_can_run(const char *test, int replay);

#endif
