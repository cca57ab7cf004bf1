#!/usr/bin/env bash
# Runs the current module's tests of the given JUnit tags inside the Soft-RoCE VM (one boot).
# Called by the softroce Maven profile from a module directory after test-compile; expects
# target/classes, target/test-classes and target/softroce-classpath.txt.
#   junit-in-vm.sh [--timeout S] [--hosts N] [--java PATH] [--groups tag1,tag2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout=1800 hosts=1 java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java groups=rdma
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --java) java=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    *) echo "junit-in-vm.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
module=$(pwd)
[ -d "$module/target/test-classes" ] || { echo "junit-in-vm.sh: $module has no target/test-classes: run test-compile first" >&2; exit 2; }
cp="$module/target/test-classes:$module/target/classes:$(cat "$module/target/softroce-classpath.txt")"
reports="$module/target/softroce-reports"
rm -rf "$reports"; mkdir -p "$reports"
args="$module/target/softroce-junit.args"
{
  echo "execute"
  echo "--class-path"; echo "$cp"
  echo "--scan-class-path"; echo "$module/target/test-classes"
  IFS=, read -ra tags <<< "$groups"
  for t in "${tags[@]}"; do echo "--include-tag"; echo "$t"; done
  echo "--reports-dir"; echo "$reports"
  # JUnit's default class-name filter only takes *Test/*Tests: the tag selects, so take every class.
  echo "--include-classname"; echo ".*"
  echo "--fail-if-no-tests"
  echo "--disable-banner"
  echo "--details=tree"
} > "$args"
# HotSpot patches the entry of compiled code it replaces (C1 -> C2 tier-up) while other threads
# may be running it. Under QEMU's multi-threaded TCG that cross-modifying write once tore and a
# test JVM died with SIGSEGV at a freshly patched C1 entry (SharedUtils.checkNative, jmp half
# written). C1-only code is never replaced by a higher tier, which removes nearly all such
# patching; the tests check behaviour, not speed. JDK_JAVA_OPTIONS reaches the JVMs tests start too.
export JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:+$JDK_JAVA_OPTIONS }-XX:TieredStopAtLevel=1"
echo "Running $(basename "$module") tests tagged [$groups] inside the Soft-RoCE VM (hosts=$hosts)"
status=0
"$here/../softroce-vm.sh" --timeout "$timeout" --hosts "$hosts" -- \
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.junit.platform.console.ConsoleLauncher "@$args" || status=$?
# A plain summary line CI tools read, from the XML the launcher wrote back to the host.
xml=$(ls "$reports"/TEST-*.xml 2>/dev/null | head -1 || true)
if [ -n "$xml" ]; then
  total=$(grep -o 'tests="[0-9]*"' "$xml" | head -1 | tr -dc 0-9)
  failed=$(( $(grep -o 'failures="[0-9]*"' "$xml" | head -1 | tr -dc 0-9) + $(grep -o 'errors="[0-9]*"' "$xml" | head -1 | tr -dc 0-9) ))
  skipped=$(grep -o 'skipped="[0-9]*"' "$xml" | head -1 | tr -dc 0-9)
  echo "softroce $(basename "$module"): $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit $status
