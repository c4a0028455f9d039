#!/usr/bin/env bash
# The demo behind ./build.sh demo: a coordinator and two workers as separate processes on loopback
# ports build tests/sample-project with make -j through the wrapper, show where each job ran, check
# every object against a local build, and stop every process they started.
set -euo pipefail
DIST=${1:?usage: run-demo.sh DIST_DIR}
DIST=$(cd "$DIST" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/actorcompile-demo.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

say() { printf '\n== %s\n' "$*"; }
node() { # node NAME ROLES [more flags] : start a node in the background, log in $WORK/NAME.log
  local name=$1; shift
  ACTORCOMPILE_CONFIG_DIR=$WORK/no-etc TMPDIR=$WORK XDG_CACHE_HOME=$WORK/$name-cache "$DIST/actorcompile-node" --host 127.0.0.1 --socket "$WORK/$name.sock" --roles "$@" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}
status_json() { ACTORCOMPILE_SOCKET=$WORK/coordinator.sock "$DIST/actorcompile" status --json 2>/dev/null; }
json_field() { grep -o "\"$1\": *\"[^\"]*\"" | head -1 | sed 's/^"[^"]*": *//; s/"//g'; }

say "starting a coordinator and two workers on 127.0.0.1"
node coordinator coordinator --port 0
for _ in $(seq 100); do [ -S "$WORK/coordinator.sock" ] && status_json >/dev/null && break; sleep 0.1; done
SEED=$(status_json | json_field node)
[ -n "$SEED" ] || { echo "the coordinator did not start:"; cat "$WORK/coordinator.log"; exit 1; }
node worker-1 worker --port 0 --seed "$SEED" --slots 2
node worker-2 worker --port 0 --seed "$SEED" --slots 2
export ACTORCOMPILE_SOCKET=$WORK/coordinator.sock
up_workers() { "$DIST/actorcompile" --show-hosts 2>/dev/null | grep -vc '(' || true; }
for _ in $(seq 300); do [ "$(up_workers)" -ge 2 ] && break; sleep 0.1; done
if [ "$(up_workers)" -lt 2 ]; then
  echo "the workers did not join within 30 s:"; tail -5 "$WORK"/worker-*.log; exit 1
fi
"$DIST/actorcompile" status

PROJECT=$WORK/sample-project
cp -r "$HERE/../sample-project" "$PROJECT"
rm -rf "$PROJECT/build"
cd "$PROJECT"

say "reference: a local build with gcc"
make -s -j4 objects CC=gcc
cp -r build "$WORK/reference"
make -s clean

JOBS=$("$DIST/actorcompile" -j)
say "the same build through the cluster: make -j$JOBS CC=\"actorcompile gcc\" (each line says where the job ran)"
START=$(date +%s.%N)
ACTORCOMPILE_VERBOSE=1 make -s -j"$JOBS" CC="$DIST/actorcompile gcc" check 2>&1 | sed 's/^/  /'
END=$(date +%s.%N)

say "checking every object and dependency file against the local build"
TOTAL=0; SAME=0
while IFS= read -r file; do
  TOTAL=$((TOTAL + 1))
  if cmp -s "$WORK/reference/$file" "build/$file"; then SAME=$((SAME + 1)); else echo "  DIFFERS: $file"; fi
done < <(cd "$WORK/reference" && find . -type f \( -name '*.o' -o -name '*.d' \) | sort)
echo "  $SAME of $TOTAL files identical to the local build"

say "the cluster after the build ($(printf '%.1f' "$(echo "$END - $START" | bc 2>/dev/null || echo 0)") s)"
"$DIST/actorcompile" status
[ "$SAME" -eq "$TOTAL" ] && [ "$TOTAL" -gt 0 ] || { echo "demo FAILED: objects differ"; exit 1; }
say "demo passed; stopping the nodes"
