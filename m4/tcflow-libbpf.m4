dnl TCFLOW_CHECK_LIBBPF_APIS
dnl One link probe per optional libbpf API, each giving a HAVE_ define.
dnl Debian 12 ships libbpf 1.1: no tcx attach, but batch lookups exist.
AC_DEFUN([TCFLOW_CHECK_LIBBPF_APIS], [
  tcflow_save_LIBS=$LIBS
  tcflow_save_CFLAGS=$CFLAGS
  LIBS="$LIBS $LIBBPF_LIBS"
  CFLAGS="$CFLAGS $LIBBPF_CFLAGS"
  AC_CHECK_FUNCS([bpf_map_lookup_batch bpf_program__attach_tcx bpf_prog_test_run_opts])
  AS_IF([test "x$ac_cv_func_bpf_prog_test_run_opts" != xyes],
    [AC_MSG_ERROR([libbpf lacks bpf_prog_test_run_opts: install libbpf-dev 0.8 or newer])])
  LIBS=$tcflow_save_LIBS
  CFLAGS=$tcflow_save_CFLAGS
])
