#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Automake LOG_COMPILER for every test. A test that cannot run here exits
# 77 (SKIP); under TCFLOW_REQUIRE_PRIVILEGED=1 that becomes 99 (ERROR),
# because CI runs as root on a BPF-capable kernel and a skip there would
# hide a broken test.
"$@"
rc=$?
if [ "$rc" -eq 77 ] && [ "${TCFLOW_REQUIRE_PRIVILEGED:-0}" = 1 ]; then
	echo "$1 skipped, but TCFLOW_REQUIRE_PRIVILEGED=1 forbids skips" >&2
	exit 99
fi
exit "$rc"
