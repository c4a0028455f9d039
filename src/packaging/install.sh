#!/usr/bin/env bash
# install.sh install|uninstall --dist DIR [--prefix DIR] [--root DIR] [--no-user]
# What ./build.sh install and ./build.sh uninstall run. Installs, under ROOT (default /) and PREFIX
# (default /usr/local):
#   PREFIX/lib/actorcompile/            the programs (actorcompile, actorcompile-cli beside it, actorcompile-node, actorcompile-box beside it), the shipped HOCON, service.hocon, the manifest
#   PREFIX/bin/actorcompile, actorcompile-node                       (links to the programs)
#   PREFIX/lib/actorcompile/bin/        the masquerade directory: gcc, g++, cc, c++, clang, clang++ and
#                                       the CHOST-qualified names of the compilers on this machine
#   PREFIX/lib/systemd/system/actorcompile-node.service             (systemd, Type=notify)
#   /etc/init.d/actorcompile-node, /etc/conf.d/actorcompile-node    (OpenRC)
#   /etc/actorcompile/node.hocon        the file a user edits; never overwritten once edited
#   PREFIX/share/doc/actorcompile/README.md
# and, installing as root into /, the system user and group actorcompile that the service runs as.
# Everything it creates is listed in PREFIX/lib/actorcompile/install-manifest, which uninstall follows.
set -euo pipefail

usage() { echo "usage: install.sh install|uninstall --dist DIR [--prefix DIR] [--root DIR] [--no-user]" >&2; exit 2; }
ACTION=${1:-}; shift || true
case "$ACTION" in install|uninstall) ;; *) usage ;; esac
DIST="" PREFIX=/usr/local ROOT=/ MAKE_USER=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) DIST=${2:?--dist needs a directory}; shift 2 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --no-user) MAKE_USER=0; shift ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$PREFIX" in /*) ;; *) echo "install.sh: --prefix must be an absolute path (it is where the files will be at run time)" >&2; exit 2 ;; esac
PREFIX=${PREFIX%/}; [ -n "$PREFIX" ] || PREFIX=/
mkdir -p "$ROOT"; ROOT=$(cd "$ROOT" && pwd); ROOT=${ROOT%/}
HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(cd "$HERE/../.." && pwd)

LIBDIR=$PREFIX/lib/actorcompile BINDIR=$PREFIX/bin DOCDIR=$PREFIX/share/doc/actorcompile
UNITDIR=$PREFIX/lib/systemd/system
CONFDIR=/etc/actorcompile
MANIFEST=$ROOT$LIBDIR/install-manifest
say() { echo "install.sh: $*"; }

# --- uninstall: remove what the manifest lists, keep configuration the user edited ------------------
if [ "$ACTION" = uninstall ]; then
  [ -f "$MANIFEST" ] || { say "nothing to uninstall: $MANIFEST is missing (was it installed with --prefix $PREFIX --root $ROOT?)"; exit 1; }
  if [ "$ROOT" = "" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now actorcompile-node.service >/dev/null 2>&1 || true
  fi
  dirs=()
  while IFS=' ' read -r kind path sha; do
    case "$kind" in
      file|link) rm -f "$ROOT$path" ;;
      config)
        if [ -f "$ROOT$path" ] && [ "$(sha256sum "$ROOT$path" | cut -d' ' -f1)" != "$sha" ]; then
          say "kept $path: it was edited (remove it yourself when no longer wanted)"
        else rm -f "$ROOT$path"; fi ;;
      dir) dirs+=("$path") ;;
      user) [ "$ROOT" = "" ] && id "$path" >/dev/null 2>&1 && { userdel "$path" 2>/dev/null || true; groupdel "$path" 2>/dev/null || true; say "removed the user and group $path"; } ;;
    esac
  done < "$MANIFEST"
  rm -f "$MANIFEST"
  # Directories this install created, deepest first, when nothing else is left in them.
  for ((i=${#dirs[@]}-1; i>=0; i--)); do rmdir "$ROOT${dirs[i]}" 2>/dev/null || true; done
  [ "$ROOT" = "" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ] && systemctl daemon-reload || true
  say "uninstalled ActorCompile from $PREFIX${ROOT:+ under $ROOT}"
  exit 0
fi

# --- install ------------------------------------------------------------------------------------------
[ -n "$DIST" ] || usage
for f in actorcompile actorcompile-cli actorcompile-node actorcompile-box hocon/actorcompile.hocon; do
  [ -e "$DIST/$f" ] || { echo "install.sh: $DIST/$f is missing; run ./build.sh first" >&2; exit 1; }
done
OLD_MANIFEST=$(mktemp) NEW_MANIFEST=$(mktemp)
trap 'rm -f "$OLD_MANIFEST" "$OLD_MANIFEST.dirs" "$NEW_MANIFEST"' EXIT
[ -f "$MANIFEST" ] && cp "$MANIFEST" "$OLD_MANIFEST"
declare -A CREATED=()
record() { echo "$*" >> "$NEW_MANIFEST"; }

# Directories: record those that did not exist, so that uninstall removes exactly those.
makedir() { # makedir DIR MODE
  local d=$1 parts="" p
  IFS=/ read -ra segs <<< "${d#/}"
  for p in "${segs[@]}"; do
    parts=$parts/$p
    if [ ! -d "$ROOT$parts" ]; then mkdir -m "$2" "$ROOT$parts"; CREATED[$parts]=1; fi
  done
}
# Previously created directories stay recorded (a reinstall finds them existing).
grep '^dir ' "$OLD_MANIFEST" 2>/dev/null | while read -r _ d; do echo "$d"; done > "$OLD_MANIFEST.dirs" || true
put() { # put SOURCE DEST MODE
  makedir "$(dirname "$2")" 0755
  rm -f "$ROOT$2"
  install -m "$3" "$1" "$ROOT$2"
  record file "$2"
}
link() { # link TARGET DEST
  makedir "$(dirname "$2")" 0755
  ln -sfn "$1" "$ROOT$2"
  record link "$2"
}
render() { # render TEMPLATE > stdout
  sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@DOCDIR@|$DOCDIR|g" "$1"
}
config() { # config CONTENT-FILE DEST MODE: install a file the user may edit, never overwriting an edit
  local new=$1 dest=$2 mode=$3 sha old
  sha=$(sha256sum "$new" | cut -d' ' -f1)
  old=$(awk -v p="$dest" '$1 == "config" && $2 == p { print $3 }' "$OLD_MANIFEST")
  makedir "$(dirname "$dest")" 0755
  if [ -e "$ROOT$dest" ] && [ "$(sha256sum "$ROOT$dest" | cut -d' ' -f1)" != "${old:-none}" ] \
       && [ "$(sha256sum "$ROOT$dest" | cut -d' ' -f1)" != "$sha" ]; then
    # Edited by the user (or not installed by us): keep it, put the new default beside it.
    install -m "$mode" "$new" "$ROOT$dest.new"
    record file "$dest.new"
    record config "$dest" "$sha"   # the default's checksum: the edited file never matches it, so uninstall keeps it
    say "kept your $dest; the new default is $dest.new"
  else
    install -m "$mode" "$new" "$ROOT$dest"
    record config "$dest" "$sha"
  fi
}

say "installing into ${ROOT:+$ROOT}$PREFIX"
put "$DIST/actorcompile-node" "$LIBDIR/actorcompile-node" 0755
put "$DIST/actorcompile-box" "$LIBDIR/actorcompile-box" 0755   # a worker's job box, run by the node from its own directory
put "$DIST/actorcompile" "$LIBDIR/actorcompile" 0755
put "$DIST/actorcompile-cli" "$LIBDIR/actorcompile-cli" 0755
for h in "$DIST"/hocon/*.hocon; do put "$h" "$LIBDIR/hocon/$(basename "$h")" 0644; done
put "$HERE/service.hocon" "$LIBDIR/service.hocon" 0644
put "$SOURCE/README.md" "$DOCDIR/README.md" 0644
link ../lib/actorcompile/actorcompile "$BINDIR/actorcompile"
link ../lib/actorcompile/actorcompile-node "$BINDIR/actorcompile-node"

# The masquerade directory: each compiler name a link to actorcompile, which runs the next of that name on PATH.
names="gcc g++ cc c++ clang clang++"
for compiler in gcc clang; do
  chost=$("$compiler" -dumpmachine 2>/dev/null) || continue
  IFS=: read -ra path_dirs <<< "${PATH:-/usr/bin:/bin}"
  for d in "${path_dirs[@]}"; do
    for f in "$d/$chost"-{gcc,g++,cc,c++,clang,clang++} "$d/$chost"-{gcc,g++}-[0-9]* "$d/$chost"-clang{,++}-[0-9]*; do
      [ -x "$f" ] && [ ! -d "$f" ] && names="$names $(basename "$f")"
    done
  done
done
for n in $(printf '%s\n' $names | sort -u); do link ../actorcompile "$LIBDIR/bin/$n"; done

tmp=$(mktemp)
render "$HERE/actorcompile-node.service.in" > "$tmp"; put "$tmp" "$UNITDIR/actorcompile-node.service" 0644
render "$HERE/actorcompile-node.openrc.in" > "$tmp"; put "$tmp" /etc/init.d/actorcompile-node 0755
config "$HERE/actorcompile-node.confd" /etc/conf.d/actorcompile-node 0644
# The node's configuration: what `actorcompile setup helper` writes with no options (a helper serving this
# machine only, starting its own cluster), until the user runs setup with their seeds and networks.
"$DIST/actorcompile" setup helper --print > "$tmp"
config "$tmp" "$CONFDIR/node.hocon" 0644
rm -f "$tmp"

if [ "$ROOT" = "" ] && [ "$MAKE_USER" = 1 ] && [ "$(id -u)" = 0 ]; then
  if ! id actorcompile >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/cache/actorcompile --no-create-home --shell /usr/sbin/nologin \
      --comment "ActorCompile node" actorcompile
    record user actorcompile
    say "created the system user and group actorcompile"
  else
    grep -qx 'user actorcompile' "$OLD_MANIFEST" && record user actorcompile
  fi
fi

# Directories: those created now, and those an earlier install created.
record file "$LIBDIR/install-manifest"
{
  sort -u "$NEW_MANIFEST"
  # Sorted, so that a parent comes before its children and uninstall removes children first.
  { cat "$OLD_MANIFEST.dirs"; printf '%s\n' "${!CREATED[@]}"; } | awk 'NF' | sort -u | sed 's/^/dir /'
} > "$MANIFEST"

if [ "$ROOT" = "" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
cat <<MSG
install.sh: installed. Next:
  helper:  sudo actorcompile setup helper --allow 192.168.1.0/24      (your network)
  target:  sudo actorcompile setup target --seed HELPER:7420
  start:   sudo systemctl enable --now actorcompile-node   (OpenRC: rc-update add actorcompile-node default; rc-service actorcompile-node start)
  use:     add build users to the group actorcompile; put $LIBDIR/bin first on PATH, or CC="actorcompile gcc"
  check:   actorcompile status
MSG
