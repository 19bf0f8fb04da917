#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds tcflow_exporter and runs its whole test suite, installing any
# missing Debian/Ubuntu packages first. Usage: scripts/test.sh
# As root (as in CI) every privileged test must run: a skip fails the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/scripts/install-deps.sh"

if [ -z "${TCFLOW_REQUIRE_PRIVILEGED:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		TCFLOW_REQUIRE_PRIVILEGED=1
	else
		TCFLOW_REQUIRE_PRIVILEGED=0
		echo "not root: the tests that load BPF programs will be skipped" >&2
	fi
fi
export TCFLOW_REQUIRE_PRIVILEGED

[ -x configure ] || autoreconf -fi
build="$top/build"
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
status=0
# distcheck builds from the release tarball, out of tree, and runs the
# whole suite there: the same tests, plus proof that the tarball is whole.
make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=-q >distcheck.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' distcheck.out || true
if [ "$status" -ne 0 ]; then
	tail -40 distcheck.out
	for log in $(find . -name 'test-suite.log' 2>/dev/null); do cat "$log"; done
fi
pass=$(grep -c '^PASS:' distcheck.out || true)
fail=$(grep -cE '^(FAIL|ERROR|XPASS):' distcheck.out || true)
[ "$status" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
echo "$pass passed, $fail failed"
exit "$status"
