dnl TCFLOW_CHECK_LIBBPF_APIS
dnl The libbpf API capture replay needs, linked for real: pkg-config's
dnl version alone does not prove it. No HAVE_ define: nothing is optional.
AC_DEFUN([TCFLOW_CHECK_LIBBPF_APIS], [
  tcflow_save_LIBS=$LIBS
  tcflow_save_CFLAGS=$CFLAGS
  LIBS="$LIBS $LIBBPF_LIBS"
  CFLAGS="$CFLAGS $LIBBPF_CFLAGS"
  AC_CHECK_FUNC([bpf_prog_test_run_opts], [],
    [AC_MSG_ERROR([libbpf lacks bpf_prog_test_run_opts: install libbpf-dev 0.8 or newer])])
  LIBS=$tcflow_save_LIBS
  CFLAGS=$tcflow_save_CFLAGS
])
