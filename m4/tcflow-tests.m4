dnl TCFLOW_CHECK_TEST_TOOLS
dnl Optional tools of the test suite. Missing ones are reported in the
dnl summary; the tests that need them fail with a message naming them.
AC_DEFUN([TCFLOW_CHECK_TEST_TOOLS], [
  AC_ARG_VAR([PROMTOOL], [promtool, to check the exposition in tests])
  AC_PATH_PROG([PROMTOOL], [promtool])
])
