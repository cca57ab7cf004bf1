#!/bin/sh
# Runs one jverbs example: examples/run.sh NAME [ARGS...], e.g. examples/run.sh RcPingPong -g 1 10.77.0.1
# Needs the packaged layout (mvn -B package -pl examples -am -DskipTests): target/classes + target/lib.
# JDK: $JAVA_HOME if it is 25 or newer, else /usr/lib/jvm/temurin-25-jdk-amd64, else java on the PATH.
# Extra JVM options: JVERBS_JAVA_OPTS.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "Usage: examples/run.sh NAME [ARGS...]   (NAME: RcPingPong, UdPingPong, SrqPingPong, QuickStart, DpdkForward, ...)" >&2
    exit 2
fi
name=$1; shift
case $name in *.*) main=$name ;; *) main=io.jverbs.examples.$name ;; esac

# The feature release from the JDK's release file (starting a JVM to ask costs seconds under TCG).
feature() {
    home=$(dirname "$(dirname "$(readlink -f "$1")")")
    if [ -f "$home/release" ]; then
        sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release"
    else
        "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
    fi
}
java=
for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java 2>/dev/null || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    v=$(feature "$candidate")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then java=$candidate; break; fi
done
[ -n "$java" ] || { echo "run.sh: no JDK 25 or newer found (set JAVA_HOME)" >&2; exit 1; }

classes=$here/target/classes
if [ ! -f "$classes/$(echo "$main" | tr . /).class" ] || [ ! -d "$here/target/lib" ]; then
    echo "run.sh: $main is not built: run 'mvn -B package -pl examples -am -DskipTests' in $(dirname "$here")" >&2
    exit 1
fi
# shellcheck disable=SC2086
exec "$java" --enable-native-access=ALL-UNNAMED ${JVERBS_JAVA_OPTS:-} -cp "$classes:$here/target/lib/*" "$main" "$@"
