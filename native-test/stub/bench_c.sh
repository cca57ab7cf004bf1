#!/usr/bin/env bash
# Builds the stub provider and the C baseline into OUT_DIR (default: verbs/target/stub), then
# runs the C baseline. Usage: bench_c.sh [OUT_DIR] [iterations per run] [runs]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../verbs/target/stub}"
iters="${2:-50000000}"
runs="${3:-5}"
command -v gcc >/dev/null || { echo "bench_c.sh: gcc not found: apt-get install gcc libibverbs-dev" >&2; exit 1; }
[ -f /usr/include/infiniband/verbs.h ] || { echo "bench_c.sh: <infiniband/verbs.h> not found: apt-get install libibverbs-dev" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# The flags StubProvider.java uses (it also compiles bench_c.c into its library, without main).
gcc -O2 -shared -fPIC -Wall -o "$out/libjverbs_stub_c.so" "$here/stub_provider.c"
gcc -O2 -Wall -o "$out/bench_c" "$here/bench_c.c" -L"$out" -ljverbs_stub_c -Wl,-rpath,"$out"
"$out/bench_c" "$iters" "$runs"
