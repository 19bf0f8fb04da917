dnl TCFLOW_CHECK_LIBS
dnl Finds every library with pkg-config and, when one is missing, stops
dnl with the name of the Debian package that provides it.
AC_DEFUN([TCFLOW_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found: install the Debian package $3 (apt-get install $3)])])
])

AC_DEFUN([TCFLOW_CHECK_LIBS], [
  TCFLOW_PKG([LIBBPF], [libbpf >= 0.8], [libbpf-dev])
  TCFLOW_PKG([LIBELF], [libelf], [libelf-dev])
  TCFLOW_GZIP
  TCFLOW_PKG([MHD], [libmicrohttpd >= 0.9.71], [libmicrohttpd-dev])
  TCFLOW_PKG([PCAP], [libpcap], [libpcap-dev])
  dnl --web.config.file: TLS, YAML, bcrypt; least privilege: libcap.
  TCFLOW_PKG([GNUTLS], [gnutls >= 3.6], [libgnutls28-dev])
  TCFLOW_PKG([YAML], [yaml-0.1], [libyaml-dev])
  TCFLOW_PKG([XCRYPT], [libxcrypt >= 4.1], [libcrypt-dev])
  TCFLOW_PKG([LIBCAP], [libcap], [libcap-dev])
  TCFLOW_PKG([LIBMNL], [libmnl >= 1.0.3], [libmnl-dev])
  TCFLOW_PKG([CHECK], [check >= 0.11], [check])
  LIBBPF_VERSION=`$PKG_CONFIG --modversion libbpf`
  MHD_VERSION=`$PKG_CONFIG --modversion libmicrohttpd`
  AC_SUBST([LIBBPF_VERSION])

  dnl Confirm the headers really compile, not just that a .pc file exists.
  tcflow_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $LIBBPF_CFLAGS $MHD_CFLAGS $PCAP_CFLAGS $GNUTLS_CFLAGS $YAML_CFLAGS"
  dnl AC_CHECK_HEADER, not _HEADERS: a HAVE_ define nothing reads is noise.
  m4_foreach_w([tcflow_hdr], [bpf/libbpf.h microhttpd.h pcap/pcap.h gnutls/gnutls.h yaml.h crypt.h sys/capability.h],
    [AC_CHECK_HEADER(tcflow_hdr, [],
      [AC_MSG_ERROR([header ]tcflow_hdr[ missing: install libbpf-dev, libmicrohttpd-dev, libpcap-dev, libgnutls28-dev, libyaml-dev, libcrypt-dev and libcap-dev])],
      [@%:@include <stddef.h>])
  ])
  dnl --web.config.file needs a libmicrohttpd built with HTTPS (GnuTLS).
  tcflow_save_LIBS=$LIBS
  LIBS="$LIBS $MHD_LIBS"
  AC_RUN_IFELSE([AC_LANG_PROGRAM([[#include <microhttpd.h>]],
      [[return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES &&
               MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) == MHD_YES ? 0 : 1;]])],
    [], [AC_MSG_ERROR([libmicrohttpd was built without HTTPS support (GnuTLS): --web.config.file needs it])],
    [AC_MSG_WARN([cross compiling: cannot check that libmicrohttpd supports HTTPS])])
  LIBS=$tcflow_save_LIBS
  CPPFLAGS=$tcflow_save_CPPFLAGS
  dnl xxHash is used header-only (XXH_INLINE_ALL): no library to link.
  AC_CHECK_HEADER([xxhash.h], [],
    [AC_MSG_ERROR([header xxhash.h missing: install the Debian package libxxhash-dev])],
    [@%:@include <stddef.h>])
  dnl llrintl() formats OpenMetrics' _created exactly as printf would.
  AC_SEARCH_LIBS([llrintl], [m], [],
    [AC_MSG_ERROR([llrintl() not found: the C library's libm is missing])])
  AX_PTHREAD_SIMPLE
])

dnl TCFLOW_GZIP: gzip of /metrics is made as the text is rendered (src/gzip.c).
dnl ISA-L streams it at 2 GB/s, six times zlib's level 1; where it is not
dnl packaged (Debian 12 has it for amd64 only), zlib. --without-isal forces
dnl zlib, to test that build. zlib's crc32_combine joins deflate data made
dnl apart either way.
AC_DEFUN([TCFLOW_GZIP], [
  AC_ARG_WITH([isal], [AS_HELP_STRING([--without-isal], [gzip /metrics with zlib, not ISA-L])],
    [], [with_isal=check])
  tcflow_have_isal=no
  AS_IF([test "x$with_isal" != xno],
    [PKG_CHECK_MODULES([GZIP], [libisal zlib], [tcflow_have_isal=yes],
      [AS_IF([test "x$with_isal" = xyes],
        [AC_MSG_ERROR([libisal not found: install the Debian package libisal-dev])])])])
  AS_IF([test $tcflow_have_isal = yes],
    [AC_DEFINE([HAVE_ISAL], [1], [gzip with ISA-L's igzip])],
    [TCFLOW_PKG([GZIP], [zlib], [zlib1g-dev])
     AS_IF([test "x$with_isal" = xcheck],
       [AC_MSG_WARN([libisal not found (Debian package libisal-dev): gzip of /metrics uses zlib, 6x slower])])])
])

dnl AX_PTHREAD_SIMPLE: glibc has pthreads in libc; -pthread keeps older ones right.
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
