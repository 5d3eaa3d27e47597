#!/bin/bash
# Runs inside the image build (the `rootfs` stage of the Dockerfile): copies into DEST only what the final,
# distroless-like image needs, from whatever Debian-based BASE the build started from:
#   - the Python runtime: Debian's python3 (a dpkg package) or a /usr/local build (the public python images),
#   - the Debian packages in RUNTIME_PACKAGES (installed with apt-get first if the base lacks them) and their
#     dependency closure, minus EXCLUDE (perl and git's perl scripts, docs, maintainer-script tools),
#   - the packages owning every shared library that the interpreter, those packages and the venv link to,
#   - passwd/group with the non-root user 65532, the CA bundle, /tmp and a home folder.
# No shell, no package manager, no pip: an image that can run `leadforge` and `git`, nothing else.
#   rootfs.sh DEST VENV        (RUNTIME_PACKAGES="git ca-certificates" by default)
set -euo pipefail
DEST="$1"
VENV="$2"
RUNTIME_PACKAGES="${RUNTIME_PACKAGES:-git ca-certificates}"
# Dependencies the image does without: git needs perl only for rarely used scripts (send-email, svn, the
# old interactive add), ca-certificates needs openssl/debconf only in its maintainer scripts.
EXCLUDE=" perl perl-modules-5.36 libperl5.36 liberror-perl git-man debconf openssl dpkg install-info "
EXCLUDE+=" adduser passwd login sensible-utils ucf x11-common dconf-service "
# Libraries of standard modules nothing in the image imports (dbm, sqlite3, readline, curses): those modules fail
# to import here, everything else works.
EXCLUDE+=" libdb5.3 libsqlite3-0 libncursesw6 libreadline8 readline-common libtinfo6 "
# Paths no program reads at run time (dpkg -L lists them; the base may have them even when the image should not).
drop_path() {
  case "$1" in
    /usr/share/doc/*/copyright) return 1 ;;  # licences stay
    /usr/share/doc/*|/usr/share/man/*|/usr/share/info/*|/usr/share/locale/*|/usr/share/lintian/*) return 0 ;;
    /usr/share/bug/*|/usr/share/menu/*|/usr/share/bash-completion/*|/usr/share/perl5/*|/usr/lib/git-core/mergetools/*) return 0 ;;
    /usr/share/gitweb/*|/usr/share/git-core/contrib/*|/etc/cron.*|/etc/logrotate.d/*|/usr/share/zsh/*) return 0 ;;
    /.|/etc/init.d/*|/usr/lib/python3*/test/*|/usr/lib/python3*/*/test/*|/usr/lib/python3*/*/tests/*) return 0 ;;
    /usr/lib/python3*/pydoc_data/*|/usr/lib/python3*/lib2to3/*|/usr/lib/python3*/idlelib/*) return 0 ;;
    # glibc's iconv modules: python does not use them, git only to re-encode commits of non-UTF-8 repositories
    /usr/lib/*-linux-gnu/gconv/*|/usr/lib/*-linux-gnu/libmvec.so*) return 0 ;;
    # git's servers, the mail and dumb-http helpers and scalar: the image is a git client (smart HTTP + local)
    /usr/bin/git-shell|/usr/bin/scalar|/usr/lib/git-core/git-shell|/usr/lib/git-core/git-daemon) return 0 ;;
    /usr/lib/git-core/git-http-backend|/usr/lib/git-core/git-http-push|/usr/lib/git-core/git-http-fetch) return 0 ;;
    /usr/lib/git-core/git-imap-send|/usr/lib/git-core/scalar|/usr/lib/git-core/git-sh-i18n--envsubst) return 0 ;;
    /usr/share/git-core/templates/hooks/*) return 0 ;;
  esac
  return 1
}

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

missing=()
for pkg in $RUNTIME_PACKAGES; do installed "$pkg" || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "rootfs.sh: the base lacks ${missing[*]} and has no apt-get to install them" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -rf /var/lib/apt/lists/*
fi

python="$(readlink -f "$VENV/bin/python")"
roots=($RUNTIME_PACKAGES base-files netbase tzdata)
if owner="$(dpkg-query -S "$python" 2>/dev/null)"; then
  roots+=("${owner%%:*}" python3)
fi

# The packages that own each shared library an ELF file below links to ("not found" libraries fail the build).
library_packages() {
  find "$@" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0 2>/dev/null |
    { xargs -0 -r ldd 2>/dev/null || true; } |
    awk '/^[^ \t].*:$/ { file = $0 } /=> \// { print $3 } /not found/ { print "MISSING " $1 " (needed by " file ")" }' | sort -u |
    while read -r lib; do
      if [ "${lib%% *}" = MISSING ]; then echo "rootfs.sh: a library is not found: ${lib#MISSING }; add its package to RUNTIME_PACKAGES" >&2; exit 1; fi
      for path in "$lib" "$(readlink -f "$lib")" "/usr$lib"; do
        if out="$(dpkg-query -S "$path" 2>/dev/null)"; then echo "${out%%:*}" | cut -d, -f1; break; fi
      done
    done | sort -u
}

declare -A seen=()
queue=("${roots[@]}")
libraries="$(library_packages "$VENV" "$python" /usr/local/lib)"
queue+=($libraries)
while [ "${#queue[@]}" -gt 0 ]; do
  pkg="${queue[0]%%:*}"
  queue=("${queue[@]:1}")
  [ -n "$pkg" ] && [ -z "${seen[$pkg]:-}" ] || continue
  [[ "$EXCLUDE" == *" $pkg "* ]] && continue
  if ! installed "$pkg"; then  # a virtual package: the installed package that provides it
    provider="$(dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n' 2>/dev/null |
      awk -v want="$pkg" '$1 == "installed" { for (i = 3; i <= NF; i++) { p = $i; sub(/[,(].*/, "", p); if (p == want && !found) { found = $2 } } } END { print found }')"
    [ -n "$provider" ] || continue  # an alternative that is not installed
    pkg="$provider"
    [ -z "${seen[$pkg]:-}" ] || continue
  fi
  seen[$pkg]=1
  # Depends and Pre-Depends: of "a | b" the first one installed
  IFS=',' read -ra alternatives <<<"$(dpkg-query -W -f='${Pre-Depends},${Depends}' "$pkg")"
  for alt in "${alternatives[@]}"; do
    chosen=""
    IFS='|' read -ra options <<<"$alt"
    for option in "${options[@]}"; do
      name="$(sed -e 's/(.*)//' -e 's/:any//' <<<"$option" | tr -d ' ')"
      [ -n "$name" ] || continue
      if installed "$name"; then chosen="$name"; break; fi
      [ -n "$chosen" ] || chosen="$name"
    done
    if [ -n "$chosen" ]; then queue+=("$chosen"); fi
  done
done

# merged /usr: /lib/x.so is /usr/lib/x.so; list every file by its path below usr/, so that tar never has to
# create a folder through one of the top-level symlinks (bin, lib, lib64, sbin -> usr/...)
usrmerge=(-e '/^$/d')
for link in bin lib lib32 lib64 libx32 sbin; do
  if [ -L "/$link" ]; then usrmerge+=(-e "s|^$link/|$(readlink "/$link")/|" -e "/^$link\$/d"); fi
done
list="$(mktemp)"
for pkg in "${!seen[@]}"; do
  dpkg-query -L "$pkg" 2>/dev/null | while read -r path; do
    [[ "$path" == /* ]] || continue  # "diverted by ..." notes
    if drop_path "$path"; then continue; fi
    if [ -e "$path" ] || [ -L "$path" ]; then echo "${path#/}"; fi
  done
done | sed "${usrmerge[@]}" | sort -u >"$list"

# A /usr/local Python (the public python images): the interpreter and its library, without pip and tests.
if [[ "$python" == /usr/local/* ]]; then
  (cd / && find usr/local/bin -name 'python3*' && find usr/local/lib -maxdepth 1 -name 'libpython3*' &&
    find usr/local/lib/python3.* \( -path '*/site-packages/*' -o -path '*/ensurepip*' -o -path '*/idlelib*' \
      -o -path '*/tkinter*' -o -path '*/turtledemo*' -o -path '*/test/*' -o -path '*/lib2to3*' \) -prune -o -print) >>"$list"
fi

# The standard library's modules go into the zip that is first on the interpreter's sys.path (pythonXY.zip),
# sources and compiled code side by side, deflated: a third of the size on disk, no compiling at start, and
# tracebacks keep their source lines. os.py stays on disk: the interpreter finds its prefix by it.
stdlib="$("$python" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
stdlib_zip="$("$python" -c 'import sys; print(next(p for p in sys.path if p.endswith(".zip")))')"
grep -v -E "^${stdlib#/}/([^/]+/)*[^/]+\.py\$" "$list" | grep -v -E "/__pycache__(/|\$)" >"$list.files" || true
grep -x "${stdlib#/}/os.py" "$list" >>"$list.files" || true
mkdir -p "$DEST"
for link in bin lib lib32 lib64 libx32 sbin; do  # merged /usr: the top-level symlinks first
  if [ -L "/$link" ]; then cp -P "/$link" "$DEST/$link"; fi
done
(cd / && tar --no-recursion -cf - -T "$list.files") | tar -xf - -C "$DEST" --keep-directory-symlink
grep -E "^${stdlib#/}/([^/]+/)*[^/]+\.py\$" "$list" | "$python" -c '
import py_compile, sys, zipfile
stdlib, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for line in sys.stdin:
        path = "/" + line.strip()
        name = path[len(stdlib) + 1:]
        archive.write(path, name)
        try:
            compiled = py_compile.compile(path, cfile="/tmp/rootfs-module.pyc", doraise=True,
                                          invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        except py_compile.PyCompileError:
            continue  # not valid for this interpreter (a template, say): the source is enough
        archive.write(compiled, name + "c")
' "$stdlib" "$DEST$stdlib_zip"
rm -f "$list.files" /tmp/rootfs-module.pyc

# The venv: shared objects without their symbol tables (as a distribution strips its binaries; the wheels ship
# them with), and LeadForge's own modules compiled (the dependencies compile on import: see docs/DEVELOPING.md).
if ! command -v strip >/dev/null && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
fi
if command -v strip >/dev/null; then
  # Each one is loaded after stripping and restored when it no longer loads: a library that auditwheel patched
  # (numpy's bundled OpenBLAS, say) can break under strip ("ELF load command ... not page-aligned").
  "$python" - "$VENV" <<'PY'
import os, pathlib, shutil, subprocess, sys
saved = kept = 0
for path in sorted(p for p in pathlib.Path(sys.argv[1]).rglob("*.so*") if p.is_file() and not p.is_symlink()):
    backup = path.with_name(path.name + ".unstripped")
    shutil.copy2(path, backup)
    before = path.stat().st_size
    stripped = subprocess.run(["strip", "--strip-unneeded", str(path)], capture_output=True).returncode == 0
    loads = stripped and subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", str(path)],
                                        capture_output=True).returncode == 0
    if loads:
        saved += before - path.stat().st_size
        backup.unlink()
    else:
        os.replace(backup, path)
        kept += 1
print(f"rootfs.sh: stripped the venv's shared objects: {saved / 1e6:.1f} MB saved, {kept} left as they were")
PY
else
  echo "rootfs.sh: no strip (binutils) in the base: the venv's shared objects keep their symbols" >&2
fi
"$python" -m compileall -q --invalidation-mode unchecked-hash "$VENV"/lib/python3*/site-packages/leadforge

mkdir -p "$DEST/etc/ssl/certs" "$DEST/tmp" "$DEST/home/nonroot" "$DEST/work"
cp /etc/ssl/certs/ca-certificates.crt "$DEST/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$DEST/tmp"
chown 65532:65532 "$DEST/home/nonroot" "$DEST/work"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$DEST/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$DEST/etc/group"
# The repository is usually mounted from the host, owned by another uid: git must still work in it.
printf '[safe]\n\tdirectory = *\n' >"$DEST/etc/gitconfig"
rm -f "$list"
echo "rootfs.sh: $(printf '%s\n' "${!seen[@]}" | wc -l) packages, $(du -sh "$DEST" | cut -f1) in $DEST"
