#!/usr/bin/env bash
# The package: cmake --install into a scratch prefix, then what a third
# party does with it.
#
#   CC_CMAKE=<cmake> bash package.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# The build directory is the one <chachong> was built in (the command is
# written at its top, tools/CMakeLists.txt); CC_CMAKE defaults to cmake.
#
# Checks: the command, libchachong.a and libchachong.so, the public headers
# (version.h included), chachong.pc, chachong.1 and LICENSE are installed;
# the version is project()'s everywhere (chachong --version, CHACHONG_VERSION,
# pkg-config --modversion); a small program builds with
# `cc t.c $(pkg-config --cflags --libs chachong)` and PKG_CONFIG_PATH alone,
# runs and gets the answers worked out by hand below; it builds again
# against the static library with `pkg-config --static` (the private
# dependencies) and again after the tree is moved (chachong.pc finds its
# prefix); the shared library exports only cc_ functions of the public
# headers; `man -l` renders chachong.1 with every command and the exit
# codes. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cli/lib.sh
. "$HERE/cli/lib.sh"
cli_init "$@"
CMAKE=${CC_CMAKE:-cmake}
BUILD=$(dirname "$CC")
P=$S/prefix

for tool in pkg-config cc man nm; do
  command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed"; cli_finish; }
done

VERSION=$(sed -n 's/^project(chachong VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
check "project() gives a version" test -n "$VERSION"

if "$CMAKE" --install "$BUILD" --prefix "$P" >"$S/install.log" 2>&1; then
  pass "cmake --install --prefix"
else
  fail "cmake --install --prefix" "$(tail -n 20 "$S/install.log")"
  cli_finish
fi

# The libraries may go to lib/ or lib/<multiarch>/: the .pc file says where.
PCDIR=$(dirname "$(find "$P" -name chachong.pc -path '*/pkgconfig/*' | head -n 1)")
check "chachong.pc is installed" test -f "$PCDIR/chachong.pc"
LIBDIR=$(dirname "$PCDIR")
for f in "$P/bin/chachong" "$LIBDIR/libchachong.a" "$LIBDIR/libchachong.so" \
         "$LIBDIR/libchachong.so.${VERSION%%.*}" "$P/include/chachong/chachong.h" \
         "$P/include/chachong/version.h" "$P/include/chachong/errors.h" \
         "$P/share/man/man1/chachong.1" "$P/share/doc/chachong/LICENSE"; do
  check "installed: ${f#"$P"/}" test -e "$f"
done
check "no template is installed" test ! -e "$P/include/chachong/version.h.in"
check "the command runs" test -x "$P/bin/chachong"
check "chachong --version is project()'s" \
  test "$("$P/bin/chachong" --version)" = "chachong $VERSION"
check "the licence names its owner" grep -q 'The chachong authors' "$P/share/doc/chachong/LICENSE"

# --- a third-party program, with PKG_CONFIG_PATH alone ---------------------
mkdir -p "$S/third"
cat >"$S/third/t.c" <<'EOF'
/* A third party's program: cleans two ID numbers and folds a name. */
#include <stdio.h>
#include <string.h>

#include <chachong/chachong.h>

int main(void)
{
  const char *ids[] = {"11010519491231002X", "110105194912310021"};
  cc_date today = cc_date_today();
  int i;
  printf("%s %d.%d.%d\n", CHACHONG_VERSION, CHACHONG_VERSION_MAJOR,
         CHACHONG_VERSION_MINOR, CHACHONG_VERSION_PATCH);
  for (i = 0; i < 2; i++) {
    cc_id id;
    cc_id_verdict v = cc_id_normalize(&id, ids[i], strlen(ids[i]), today);
    printf("%s %s\n", v == CC_ID_VALID ? "valid" : "not-valid",
           cc_id_reason_code((cc_id_reason)id.reason));
  }
  printf("%s\n", cc_strerror(CC_EINVALID));
  return 0;
}
EOF
# Worked out by hand: 11010519491231002X is GB 11643's example (weighted
# sum 167, 167 mod 11 = 2, check character X); ...0021 has the wrong one.
# The stable codes: "ok" and "check_digit" (include/chachong/normalize_id.h),
# "invalid input" (errors.h).
printf '%s %s\nvalid ok\nnot-valid check_digit\ninvalid input\n' "$VERSION" "$VERSION" \
  >"$S/third/want.txt"

# pkg-config sees only the scratch prefix: PKG_CONFIG_PATH, nothing else
# (PKG_CONFIG_LIBDIR stays the system's, for ICU and the others).
pc() { env -u PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH="$PCDIR" pkg-config "$@"; }
check "pkg-config --modversion chachong is project()'s" \
  test "$(pc --modversion chachong)" = "$VERSION"
(
  cd "$S/third" || exit 1
  # shellcheck disable=SC2046  # the flags are words on purpose
  env -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH \
    cc -o t t.c $(pc --cflags --libs chachong)
) >"$S/third/cc.log" 2>&1
check_exit "cc t.c \$(pkg-config --cflags --libs chachong)" 0 "$?" "$S/third/cc.log"
LD_LIBRARY_PATH=$(pc --variable=libdir chachong) "$S/third/t" >"$S/third/got.txt" 2>&1
check_exit "the program runs against libchachong.so" 0 "$?"
check_diff "the program's answers" "$S/third/want.txt" "$S/third/got.txt"
check "it loaded the installed libchachong.so" \
  sh -c "LD_LIBRARY_PATH='$LIBDIR' ldd '$S/third/t' | grep -q -F '$LIBDIR/libchachong.so'"

# The static library: --static adds the private dependencies.
libs=$(pc --static --libs chachong)
libs=${libs/-lchachong/$LIBDIR/libchachong.a}
(
  cd "$S/third" || exit 1
  # shellcheck disable=SC2046,SC2086
  cc -o t_static t.c $(pc --cflags chachong) $libs
) >"$S/third/cc_static.log" 2>&1
check_exit "cc t.c libchachong.a \$(pkg-config --static --libs chachong)" 0 "$?" \
  "$S/third/cc_static.log"
"$S/third/t_static" >"$S/third/got_static.txt" 2>&1
check_diff "the static program's answers" "$S/third/want.txt" "$S/third/got_static.txt"
check "the static program needs no libchachong.so" \
  sh -c "! ldd '$S/third/t_static' | grep -q libchachong"

# Moved elsewhere, the tree still works: chachong.pc finds its prefix.
mv "$P" "$S/moved"
MOVED_PC=$S/moved/${PCDIR#"$P"/}
(
  cd "$S/third" || exit 1
  # shellcheck disable=SC2046
  cc -o t_moved t.c $(PKG_CONFIG_PATH="$MOVED_PC" pkg-config --cflags --libs chachong)
) >"$S/third/cc_moved.log" 2>&1
check_exit "the moved tree builds the program" 0 "$?" "$S/third/cc_moved.log"
LD_LIBRARY_PATH=$(PKG_CONFIG_PATH="$MOVED_PC" pkg-config --variable=libdir chachong) \
  "$S/third/t_moved" >"$S/third/got_moved.txt" 2>&1
check_diff "the moved program's answers" "$S/third/want.txt" "$S/third/got_moved.txt"
mv "$S/moved" "$P"

# --- the shared library's exports ------------------------------------------
nm -D --defined-only "$LIBDIR/libchachong.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' \
  | sort >"$S/exports.txt"
check "libchachong.so exports functions" test -s "$S/exports.txt"
check "every export is a cc_ function" sh -c "! grep -v '^cc_' '$S/exports.txt'"
check "cc_id_normalize is exported" grep -q -x cc_id_normalize "$S/exports.txt"
check "cc_error_set (internal) is not exported" sh -c "! grep -q -x cc_error_set '$S/exports.txt'"
undeclared=""
while read -r f; do
  grep -q -E "[ *]$f\\(" "$P"/include/chachong/*.h || undeclared="$undeclared $f"
done <"$S/exports.txt"
check "every export is declared in an installed header" test -z "$undeclared"

# --- the manual page ---------------------------------------------------------
LC_ALL=C.UTF-8 MANPAGER=cat MANWIDTH=80 man -l "$P/share/man/man1/chachong.1" \
  >"$S/man.txt" 2>"$S/man.err"
check_exit "man -l chachong.1 renders" 0 "$?" "$S/man.err"
check "man -l says nothing on stderr" test ! -s "$S/man.err"
check "the page has its title and version" \
  sh -c "head -n 1 '$S/man.txt' | grep -q '^CHACHONG(1)' && grep -q 'chachong $VERSION' '$S/man.txt'"
missing=""
for c in run id workdays resolve review audit query export report; do
  grep -q "^   chachong $c\$" "$S/man.txt" || missing="$missing $c"
done
for o in --roster --issued --unmasked --decision --calendar --top-schools; do
  grep -q -e "^       $o" "$S/man.txt" || missing="$missing $o"
done
check "the page has every command and some options" test -z "$missing"
check "the page has the exit status section" \
  sh -c "grep -q '^EXIT STATUS' '$S/man.txt' && grep -q '^       130' '$S/man.txt'"
check "the page's Chinese survives" grep -q '其他表头=身份证号' "$S/man.txt"

cli_finish
