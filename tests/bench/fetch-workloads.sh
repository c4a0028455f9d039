#!/usr/bin/env bash
# fetch-workloads.sh DEST: the real code bases ./build.sh bench builds, from the package registries
# this machine reaches, pinned by version and checked by sha256:
#   DEST/lua-5.4.4  Lua 5.4.4, plain Makefile, 34 translation units (Debian source package lua5.4 5.4.4-3+deb12u1)
#   DEST/sqlite3    the SQLite amalgamation, one 9.5 MB translation unit (npm package better-sqlite3 12.11.1)
#   DEST/yaml-cpp-0.7.0  yaml-cpp 0.7.0, C++11 with libstdc++'s headers, 46 translation units in src/ and src/contrib/
#                   (Debian source package yaml-cpp 0.7.0+dfsg-8; built by the bench with its own rule, no cmake)
# Already fetched and checked: nothing is downloaded again. Needs apt-get, npm, tar, sha256sum; a
# Debian source package needs a deb-src entry, which is added (mirroring the deb entries) when missing.
set -euo pipefail
DEST=${1:?usage: fetch-workloads.sh DEST_DIR}
mkdir -p "$DEST/dl"
DEST=$(cd "$DEST" && pwd)
DL=$DEST/dl
LUA_ORIG=lua5.4_5.4.4.orig.tar.gz LUA_SHA=164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61
YAML_ORIG=yaml-cpp_0.7.0+dfsg.orig.tar.xz YAML_SHA=dc63708605404e0b963e0ca3a9619d1c8270eda2839603e6fa0384e5e51e5312
SQLITE_TGZ=better-sqlite3-12.11.1.tgz SQLITE_SHA=ebf0ed75a7a59dbcb3b24bbd014ef49d9f15bc328e4adcbf516f2a8fadfa2835

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
need_sha() {
  sha_ok "$1" "$2" || { echo "fetch-workloads.sh: sha256 of $(basename "$1") is $(sha256sum "$1" | cut -d' ' -f1), expected $2" >&2; exit 1; }
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

cd "$DL"
if ! sha_ok "$LUA_ORIG" "$LUA_SHA"; then
  if ! apt-get source --print-uris lua5.4 >/dev/null 2>&1; then
    echo "fetch-workloads.sh: adding a deb-src entry to fetch Debian's lua5.4 source package" >&2
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | as_root tee /etc/apt/sources.list.d/actorcompile-bench-src.sources >/dev/null
    else
      grep -hE '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | as_root tee /etc/apt/sources.list.d/actorcompile-bench-src.list >/dev/null
    fi
    as_root apt-get update -qq
  fi
  rm -f "$LUA_ORIG"
  apt-get source --download-only "lua5.4=5.4.4-3+deb12u1" >/dev/null
fi
need_sha "$LUA_ORIG" "$LUA_SHA"
if ! sha_ok "$YAML_ORIG" "$YAML_SHA"; then
  rm -f "$YAML_ORIG"
  apt-get source --download-only "yaml-cpp=0.7.0+dfsg-8" >/dev/null
fi
need_sha "$YAML_ORIG" "$YAML_SHA"
if ! sha_ok "$SQLITE_TGZ" "$SQLITE_SHA"; then
  rm -f "$SQLITE_TGZ"
  npm pack better-sqlite3@12.11.1 --pack-destination "$DL" --loglevel=warn >/dev/null
fi
need_sha "$SQLITE_TGZ" "$SQLITE_SHA"

rm -rf "$DEST/lua-5.4.4" "$DEST/sqlite3" "$DEST/yaml-cpp-0.7.0" "$DL/x"
tar xzf "$LUA_ORIG" -C "$DEST"
mkdir -p "$DEST/yaml-cpp-0.7.0" && tar xJf "$YAML_ORIG" -C "$DEST/yaml-cpp-0.7.0" --strip-components=1
mkdir -p "$DEST/sqlite3" "$DL/x"
tar xzf "$SQLITE_TGZ" -C "$DL/x" package/deps/sqlite3
cp "$DL"/x/package/deps/sqlite3/sqlite3.[ch] "$DL"/x/package/deps/sqlite3/sqlite3ext.h "$DEST/sqlite3/"
rm -rf "$DL/x"
echo "fetch-workloads.sh: Lua 5.4.4, yaml-cpp 0.7.0 and the SQLite amalgamation are in $DEST"
