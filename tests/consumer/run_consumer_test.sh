#!/usr/bin/env bash
# Installs a hookline build into a fresh temporary prefix, then builds and runs
# the out-of-tree project in this directory against it twice: with CMake
# (find_package(hookline)) and with a plain compiler command line using
# pkg-config. Also checks that the install holds no test or benchmark files.
#   run_consumer_test.sh BUILD_DIR CONSUMER_DIR CMAKE GENERATOR CXX [FLAGS]
# FLAGS are added to every compile and link (the sanitizer builds pass theirs,
# since their static libraries need the sanitizer runtime).
set -euo pipefail

build_dir=$1 consumer_dir=$2 cmake=$3 generator=$4 cxx=$5 flags=${6:-}
# ctest runs tests in parallel and CI runs several build directories: a private
# directory per run, removed however the script ends.
work=$(mktemp -d "${TMPDIR:-/tmp}/hookline-consumer-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "== $*"; }

step "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log"
  exit 1
}
unexpected=$(cd "$prefix" && find . -type f \( -name '*test*' -o -name '*bench*' -o -name '*catch*' \
  -o -name 'receiver_server' -o -name 'interop_tool' \) | sort)
if [ -n "$unexpected" ]; then
  echo "FAILED: the install contains test, bench or example files:"
  echo "$unexpected"
  exit 1
fi
for f in include/hookline/receiver/verifier.h include/hookline/status.h; do
  [ -f "$prefix/$f" ] || { echo "FAILED: $f was not installed"; exit 1; }
done
if [ -e "$prefix/include/hookline/db" ]; then
  echo "FAILED: hookd's internal db headers were installed"
  exit 1
fi

step "configure and build the consumer with find_package(hookline)"
"$cmake" -S "$consumer_dir" -B "$work/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^hookline_DIR:PATH=//p' "$work/build/CMakeCache.txt")
case "$found" in
  "$prefix"/*) echo "hookline_DIR=$found" ;;
  *) echo "FAILED: found hookline at '$found', not in $prefix"; exit 1 ;;
esac
"$cmake" --build "$work/build"
step "run the CMake-built consumers"
"$work/build/consumer"
"$work/build/consumer_adapters" "$work/dedupe-cmake.db"

step "build with pkg-config"
pc_dir=$(dirname "$(find "$prefix" -name hookline-receiver.pc -print -quit)")
export PKG_CONFIG_PATH="$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
core_flags=$(pkg-config --cflags --libs hookline-receiver)
echo "pkg-config --cflags --libs hookline-receiver: $core_flags"
# shellcheck disable=SC2086 # the flags are a list of words
"$cxx" -std=c++20 $flags "$consumer_dir/main.cc" -o "$work/consumer_pc" $core_flags
adapter_flags=$(pkg-config --cflags --libs hookline-receiver-sqlite hookline-receiver-httplib)
echo "pkg-config --cflags --libs hookline-receiver-sqlite hookline-receiver-httplib: $adapter_flags"
# shellcheck disable=SC2086
"$cxx" -std=c++20 $flags "$consumer_dir/adapters.cc" -o "$work/consumer_adapters_pc" $adapter_flags
step "run the pkg-config-built consumers"
"$work/consumer_pc"
"$work/consumer_adapters_pc" "$work/dedupe-pc.db"
echo "consumer test passed"
