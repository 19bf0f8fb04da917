dnl TCFLOW_CHECK_BPF_TOOLCHAIN
dnl The BPF programs are the product, so clang and bpftool are required.
dnl CLANG, BPFTOOL and LLVM_STRIP can be overridden on the command line.
dnl BPF_SYS_INCLUDES holds the host's system include directories as
dnl -idirafter flags: clang -target bpf does not search the multiarch
dnl directory (asm/types.h) on its own.
AC_DEFUN([TCFLOW_CHECK_BPF_TOOLCHAIN], [
  AC_ARG_VAR([CLANG], [clang used to compile the BPF programs])
  AC_ARG_VAR([BPFTOOL], [bpftool used to generate the BPF skeleton])
  AC_PATH_PROGS([CLANG], [clang clang-16 clang-15 clang-14], [],
                [$PATH:/usr/sbin:/sbin])
  AS_IF([test -z "$CLANG"],
    [AC_MSG_ERROR([clang not found: install the Debian package clang])])
  AC_PATH_PROG([BPFTOOL], [bpftool], [], [$PATH:/usr/sbin:/sbin])
  AS_IF([test -z "$BPFTOOL"],
    [AC_MSG_ERROR([bpftool not found: install the Debian package bpftool (linux-tools-common on Ubuntu)])])

  AC_MSG_CHECKING([whether $BPFTOOL can generate skeletons])
  AS_IF([$BPFTOOL gen help 2>&1 | grep -q 'gen skeleton'],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$BPFTOOL cannot write skeletons: install a newer bpftool])])

  AC_MSG_CHECKING([for the host include directories clang -target bpf needs])
  BPF_SYS_INCLUDES=`$CLANG -v -E - </dev/null 2>&1 | \
    sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }' | tr '\n' ' '`
  AC_MSG_RESULT([$BPF_SYS_INCLUDES])
  AC_SUBST([BPF_SYS_INCLUDES])

  AC_MSG_CHECKING([whether $CLANG compiles BPF against libbpf's headers])
  cat > conftest.bpf.c <<_TCFLOW_EOF
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
SEC("tc") int probe(struct __sk_buff *skb) { return TC_ACT_UNSPEC; }
char LICENSE[[]] SEC("license") = "GPL";
_TCFLOW_EOF
  AS_IF([$CLANG -target bpf -O2 -g $LIBBPF_CFLAGS $BPF_SYS_INCLUDES \
           -c conftest.bpf.c -o conftest.bpf.o >&AS_MESSAGE_LOG_FD 2>&1],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$CLANG cannot build BPF programs: install libbpf-dev and linux-libc-dev])])
  rm -f conftest.bpf.c conftest.bpf.o
])
