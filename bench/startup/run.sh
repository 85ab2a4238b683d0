#!/usr/bin/env bash
# Start-up cost of the agent: a tiny app (Hello: start, one governed file read, exit) timed
# N times each with no agent, with the agt agent (engine running on a Unix socket) and with the
# OpenTelemetry java agent (exporters off). Prints the median wall time and peak RSS of each.
# Usage: bench/startup/run.sh [N]   (needs the built agent and cli jars; fetches the OTel agent
# from Maven Central on first use)
set -euo pipefail
N=${1:-15}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
work=$(mktemp -d)
trap 'kill $engine_pid 2>/dev/null || true; rm -rf "$work"' EXIT
otel_version=2.22.0
otel="$HOME/.m2/repository/io/opentelemetry/javaagent/opentelemetry-javaagent/$otel_version/opentelemetry-javaagent-$otel_version.jar"
if [ ! -f "$otel" ]; then
  (cd "$repo" && ./mvnw -q -B dependency:get -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:$otel_version -Dtransitive=false)
fi
javac -d "$work" "$here/Hello.java"
echo "some data" > "$work/data.txt"
cat > "$work/policy.yaml" <<YAML
version: 1
include: [jvm-runtime]
rules:
  - {id: bench, effect: allow, family: file, paths: ["$work/**"]}
YAML
"$JAVA" -jar "$repo/cli/target/agt.jar" engine --policy "$work/policy.yaml" --socket "$work/e.sock" --audit-dir "$work/audit" > "$work/engine.out" 2>&1 &
engine_pid=$!
for _ in $(seq 100); do grep -q ready "$work/engine.out" 2>/dev/null && break; sleep 0.1; done

measure() { # label, java args...
  local label=$1; shift
  local times=() rss=()
  for _ in $(seq "$N"); do
    local out
    /usr/bin/time -o "$work/time.txt" -f "%e %M" "$JAVA" "$@" -cp "$work" Hello "$work/data.txt" > /dev/null 2>&1
    out=$(tail -1 "$work/time.txt")
    times+=("${out% *}"); rss+=("${out#* }")
  done
  local mt mr
  mt=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mr=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1024}')
  printf '%-34s median wall %6ss   median peak RSS %7s MiB   (%s runs)\n' "$label" "$mt" "$mr" "$N"
}
"$JAVA" -version 2>&1 | head -1
measure "no agent"
measure "agt agent" "-javaagent:$repo/javaagent/target/agt-javaagent.jar=engine=$work/e.sock,name=startup,quiet=true"
measure "OpenTelemetry agent $otel_version" "-javaagent:$otel" -Dotel.traces.exporter=none -Dotel.metrics.exporter=none -Dotel.logs.exporter=none
