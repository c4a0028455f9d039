#!/usr/bin/env bash
# ActorCompile's one entry point.
#   ./build.sh          restore, build, and publish dist/actorcompile and dist/actorcompile-cli (Native AOT) and dist/actorcompile-node
#   ./build.sh test     the above, then every test (unit, actor, integration); non-zero on any failure
#   ./build.sh demo     a coordinator and two workers on loopback build tests/sample-project with make -j
#   ./build.sh bench    the benchmarks against gcc, distcc and ccache (figures in bench/results/); never part of the tests
#   ./build.sh install [--prefix DIR] [--root DIR]   install programs, masquerade directory, services (default /usr/local)
#   ./build.sh uninstall [--prefix DIR] [--root DIR] remove what install put, keeping configuration a user edited
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
DIST=$ROOT/dist
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need() { # need COMMAND DEBIAN-PACKAGE: install a missing tool from Debian's packages
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "build.sh: installing $2 (for $1)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; fi
}

build() {
  command -v dotnet >/dev/null || { echo "build.sh: the .NET SDK 10 is required (dotnet not found)" >&2; exit 1; }
  need gcc gcc; need g++ g++; need make make
  # toolchain, sandbox, TLS and service-unit tests
  [ "${1:-}" = test ] && { need clang clang; need bwrap bubblewrap; need openssl openssl; need systemd-analyze systemd; }
  dotnet restore ActorCompile.sln --nologo -v quiet
  dotnet build ActorCompile.sln -c Release --no-restore --nologo -v quiet -clp:ErrorsOnly
  mkdir -p "$DIST"
  # The three programs from what the build just compiled (--no-build), side by side: ReadyToRun for the node,
  # Native AOT for the wrapper and the CLI. Each writes only its own obj/ and output directory.
  # (Measured from a fresh clone, 2026-12-07: 31.6 s one after the other with --no-build, 48 s as builds.)
  local pids=() p failed=0
  # Each into an empty directory: an incremental publish into the last one's output once left the referenced
  # projects' files (the worker's actorcompile-box among them) out of it.
  rm -rf "$DIST/.node" "$DIST/.wrapper" "$DIST/.cli"
  dotnet publish src/ActorCompile.Node/ActorCompile.Node.csproj -c Release --no-build --nologo -v quiet -clp:ErrorsOnly -o "$DIST/.node" & pids+=($!)
  dotnet publish src/ActorCompile.Wrapper/ActorCompile.Wrapper.csproj -c Release --no-build --nologo -v quiet -clp:ErrorsOnly -o "$DIST/.wrapper" & pids+=($!)
  dotnet publish src/ActorCompile.Cli/ActorCompile.Cli.csproj -c Release --no-build --nologo -v quiet -clp:ErrorsOnly -o "$DIST/.cli" & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ "$failed" = 0 ] || { echo "build.sh: publishing failed (its errors are above)" >&2; exit 1; }
  # --remove-destination: a node started from dist/ keeps running its old binary while this replaces it.
  cp --remove-destination "$DIST/.node/actorcompile-node" "$DIST/actorcompile-node"
  cp --remove-destination "$DIST/.node/actorcompile-box" "$DIST/actorcompile-box"   # a worker's job box (C: see src/ActorCompile.Worker/Box)
  rm -rf "$DIST/hocon" && cp -r "$DIST/.node/hocon" "$DIST/hocon"
  cp --remove-destination "$DIST/.wrapper/actorcompile" "$DIST/actorcompile"
  cp --remove-destination "$DIST/.cli/actorcompile-cli" "$DIST/actorcompile-cli"
  echo "build.sh: published $DIST/actorcompile (with actorcompile-cli) and $DIST/actorcompile-node"
}

case "${1:-build}" in
  build) build ;;
  test)
    build test
    export ACTORCOMPILE_DIST=$DIST
    # Ctrl-C and SIGQUIT at their defaults for everything the tests start: a shell that runs this in the
    # background (`./build.sh test &`, or a CI runner that starts it so) ignores SIGINT, every process below inherits
    # that, and the tests that stop a node or the CLI's --watch with SIGINT as a user's Ctrl-C would then
    # wait for nothing (seen 2026-12-08: three such tests failed in a run started with &). An env without
    # --default-signal (coreutils before 8.31, BusyBox) runs them as they are; those tests then say why they fail.
    reset=()
    if env --default-signal=INT true 2>/dev/null; then reset=(env --default-signal=INT,QUIT); fi
    "${reset[@]}" dotnet test ActorCompile.sln -c Release --no-build --nologo -v quiet --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=tests" --results-directory "$ROOT/tests/results" -- xUnit.ParallelizeTestCollections=true
    ;;
  demo)
    build
    exec "$ROOT/tests/demo/run-demo.sh" "$DIST"
    ;;
  bench)   # ./build.sh bench [--only per-job,builds,footprint,transport,scheduler,shipped,cache] [--quick]
    shift
    build
    need distcc distcc; need ccache ccache; need npm npm; need bwrap bubblewrap   # workers sandbox every job (shipped toolchains run only there)
    tests/bench/fetch-workloads.sh "$ROOT/bench/workloads"
    mkdir -p "$ROOT/bench/results"
    dotnet run -c Release --no-build --project tests/ActorCompile.Benchmarks -- "$ROOT/bench/results" \
      --dist "$DIST" --workloads "$ROOT/bench/workloads" "$@"
    ;;
  install)   # ./build.sh install [--prefix DIR] [--root DIR]: programs, masquerade directory, services, /etc/actorcompile
    shift
    build
    exec "$ROOT/src/packaging/install.sh" install --dist "$DIST" "$@"
    ;;
  uninstall) # ./build.sh uninstall [--prefix DIR] [--root DIR]: removes what install put (keeps edited configuration)
    shift
    exec "$ROOT/src/packaging/install.sh" uninstall "$@"
    ;;
  *) echo "usage: ./build.sh [build|test|demo|bench|install|uninstall]" >&2; exit 2 ;;
esac
