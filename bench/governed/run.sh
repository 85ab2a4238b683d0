#!/usr/bin/env bash
# The cost of governance on real calls, next to its floor (a 64-byte Unix-socket round trip to an
# echo thread, unixSocketRoundTrip, measured in the same JVM and run): GovernedCallBench without an agent, with the agt agent
# (engine on a Unix socket, fsync interval; toolCall governed by an interception rule) and, on
# JDK 17, under the SecurityManager.
# Usage: bench/governed/run.sh [labels]   (needs the built bench, agent and cli jars)
#   labels: compare the agt agent under this policy with the same policy whose rules read session
#   labels (unless: [session.secret]), so every decision takes the lineage's lock and reads its labels
#   ecosystem: the agt agent alone, with a JFR recording running, and against an engine that exports
#   every entry over OTLP (issue 18)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
work=$(mktemp -d)
trap 'kill $engine_pid 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 1024 /dev/urandom > "$work/data.txt" # a 1 KiB file, opened and read whole
jar="$repo/bench/target/benchmarks.jar"
cat > "$work/policy.yaml" <<YAML
version: 1
include: [jvm-runtime]
rules:
  - {id: bench-files, effect: allow, family: file, paths: ["$work/**", "/tmp/**"]}
  - {id: loopback, effect: allow, family: net, cidrs: [127.0.0.0/8]}
  - {id: loopback-names, effect: allow, family: net, actions: [resolve, listen]}
  - {id: echo-socket, effect: allow, family: net, transports: [unix], paths: ["$work/echo.sock"]}
  - {id: true-binary, effect: allow, family: process, executables: [/usr/bin/true, /bin/true]}
  - {id: bench-tool, effect: allow, family: tool, tools: [read_notes]}
YAML
cat > "$work/rules.yaml" <<YAML
version: 1
rules:
  - id: bench-tools
    class: dev.agt.bench.governed.BenchTools
    method: invoke
    params: [java.lang.String, java.util.Map]
    family: tool
    action: call
    target: {tool: arg0, arguments: arg1}
YAML
"$JAVA" -jar "$repo/cli/target/agt.jar" engine --policy "$work/policy.yaml" --socket "$work/e.sock" --audit-dir "$work/audit" > "$work/engine.out" 2>&1 &
engine_pid=$!
for _ in $(seq 100); do grep -q ready "$work/engine.out" 2>/dev/null && break; sleep 0.1; done
cat > "$work/sm.policy" <<POLICY
grant codeBase "file:$jar" { permission java.security.AllPermission; };
grant { permission java.io.FilePermission "$work/-", "read"; permission java.net.SocketPermission "127.0.0.1", "connect,resolve";
        permission java.io.FilePermission "/bin/true", "execute"; };
POLICY
run() { # label, extra jvm args
  echo "== $1"
  "$JAVA" -jar "$jar" GovernedCallBench -jvmArgsAppend "-Dagt.bench.dir=$work $2" 2>&1 \
    | grep -E "^GovernedCallBench\.[a-zA-Z]+(:p0\.(50|99) | )" | grep -E "p0.50|p0.99 " || true
}
"$JAVA" -version 2>&1 | head -1
if [ "${1:-}" = labels ]; then
  sed -e 's/}$/, unless: [session.secret]}/' "$work/policy.yaml" > "$work/labelled.yaml"
  "$JAVA" -jar "$repo/cli/target/agt.jar" engine --policy "$work/labelled.yaml" --socket "$work/l.sock" --audit-dir "$work/laudit" > "$work/lengine.out" 2>&1 &
  lengine_pid=$!
  trap 'kill $engine_pid $lengine_pid 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 100); do grep -q ready "$work/lengine.out" 2>/dev/null && break; sleep 0.1; done
  run "agt agent" "-javaagent:$repo/javaagent/target/agt-javaagent.jar=engine=$work/e.sock,name=bench,quiet=true,rules=$work/rules.yaml"
  run "agt agent, rules that read session labels" "-javaagent:$repo/javaagent/target/agt-javaagent.jar=engine=$work/l.sock,name=bench,quiet=true,rules=$work/rules.yaml"
  exit 0
fi
if [ "${1:-}" = ecosystem ]; then
  # the agent alone, with a JFR recording running, and against an engine exporting every entry
  # over OTLP to a receiver that takes everything (a loopback HTTP server answering 200); each
  # run against a fresh engine, so that none has a JIT-warmed engine the others lack
  python3 - "$work/otlp.port" > /dev/null 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
  rx_pid=$!
  kill $engine_pid
  trap 'kill $fresh_pid $rx_pid 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 50); do [ -s "$work/otlp.port" ] && break; sleep 0.1; done
  fresh() { # label, engine args, extra jvm args
    rm -rf "$work/f.sock" "$work/faudit" "$work/faudit.otlp-cursor"
    "$JAVA" -jar "$repo/cli/target/agt.jar" engine --policy "$work/policy.yaml" --socket "$work/f.sock" --audit-dir "$work/faudit" $2 \
      > "$work/fengine.out" 2>&1 &
    fresh_pid=$!
    for _ in $(seq 100); do grep -q ready "$work/fengine.out" 2>/dev/null && break; sleep 0.1; done
    run "$1" "-javaagent:$repo/javaagent/target/agt-javaagent.jar=engine=$work/f.sock,name=bench,quiet=true,rules=$work/rules.yaml $3"
    "$JAVA" -jar "$repo/cli/target/agt.jar" engine status --socket "$work/f.sock" | grep -i "^otlp" || true
    kill $fresh_pid; wait $fresh_pid 2>/dev/null || true
  }
  fresh "agt agent" "" ""
  fresh "agt agent, JFR recording (default settings)" "" "-XX:StartFlightRecording=filename=$work/rec.jfr,settings=default"
  fresh "agt agent, engine exporting over OTLP" "--otlp-endpoint http://127.0.0.1:$(cat "$work/otlp.port")" ""
  exit 0
fi
run "no agent" ""
run "agt agent" "-javaagent:$repo/javaagent/target/agt-javaagent.jar=engine=$work/e.sock,name=bench,quiet=true,rules=$work/rules.yaml"
if "$JAVA" -version 2>&1 | grep -q '"17'; then
  run "SecurityManager (JDK 17)" "-Djava.security.manager -Djava.security.policy==$work/sm.policy"
fi
