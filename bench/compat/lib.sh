# Shared by the compatibility scripts in this directory: run another project's own test suite
# plainly, then with the agt agent attached to every forked test JVM under an allow-all policy,
# and print the difference. Sourced, not run. Each script sets its suite and calls these.
set -euo pipefail
compat_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$compat_dir/../.." && pwd)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
engine_pid=

# The work directory ($work) with copies of the jars under test: rebuilding the repository
# meanwhile cannot change them mid-run. KEEP=DIR keeps it.
compat_prepare() {
  for j in "$repo/cli/target/agt.jar" "$repo/javaagent/target/agt-javaagent.jar"; do
    [ -f "$j" ] || { echo "missing $j: build first (./mvnw -B verify)" >&2; exit 2; }
  done
  work=${KEEP:-$(mktemp -d)}
  mkdir -p "$work"
  trap compat_cleanup EXIT
  cp "$repo/cli/target/agt.jar" "$repo/javaagent/target/agt-javaagent.jar" "$work/"
}

compat_cleanup() {
  [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}

# compat_clone URL|DIR TAG: the pinned release's sources in $work/src. A local mirror may lack
# some large blobs: a checkout that fails on them goes on when the build files are there.
compat_clone() {
  [ -f "$work/src/pom.xml" ] && return
  rm -rf "$work/src"
  local depth=(--depth 1)
  [ -d "$1" ] && depth=() # a local repository is cloned whole (and its objects linked, not copied)
  git -c advice.detachedHead=false clone -q "${depth[@]}" --branch "$2" "$1" "$work/src" > "$work/clone.log" 2>&1 \
    || { [ -f "$work/src/pom.xml" ] && echo "(checkout incomplete: $(grep -c 'unable to read' "$work/clone.log") file(s) missing from $1; going on)"; } \
    || { cat "$work/clone.log"; exit 1; }
}

# compat_excludes MODULE_DIRS...: test classes that need Docker (Testcontainers), in $work/excluded.txt,
# including subclasses of test bases that use it; both passes leave them out alike
compat_excludes() {
  (cd "$work/src" && {
    bases=$(grep -rl --include='*.java' 'org.testcontainers' "$@" | sed 's#.*/##; s#\.java$##' | sort -u || true)
    echo "$bases"
    for b in $bases; do grep -rlE --include='*.java' "extends +$b\\b" "$@" | sed 's#.*/##; s#\.java$##' || true; done
  } | grep -v '^$' | grep -v '^Abstract' | sort -u || true) > "$work/excluded.txt"
}

# compat_mvn LABEL ARGLINE MAVEN_ARGS...: one pass; its Surefire reports land in $work/reports-LABEL
compat_mvn() {
  local label=$1 argline=$2
  shift 2
  echo "== $label: $("$JAVA" -version 2>&1 | head -1)"
  local start=$SECONDS
  # a project's build cache (maven-build-cache-extension) would skip the second pass as "cached": off
  (cd "$work/src" && "$repo/mvnw" -B -q "$@" -Dmaven.build.cache.enabled=false -Dmaven.test.failure.ignore=true -DsurefireArgLine="$argline" \
      > "$work/$label.log" 2>&1) || { echo "maven failed for $label (see $work/$label.log)"; tail -20 "$work/$label.log"; exit 1; }
  mkdir -p "$work/reports-$label"
  (cd "$work/src" && find . -path '*/surefire-reports/TEST-*.xml' -exec cp --parents {} "$work/reports-$label/" \;)
  (cd "$work/src" && find . -path '*/target/surefire-reports' -prune -exec rm -rf {} +)
  echo "   $((SECONDS - start)) s"
}

# The engine, under a policy that allows every family. builtin.mcp-unknown-server is switched
# off: test suites drive MCP clients on mock transports that name no server, which that rule
# denies by design.
compat_engine() {
  cat > "$work/allow-all.yaml" <<YAML
version: 1
builtin_rules: {mcp-unknown-server: off}
rules:
  - {id: all-file, effect: allow, family: file}
  - {id: all-net, effect: allow, family: net}
  - {id: all-process, effect: allow, family: process}
  - {id: all-native, effect: allow, family: native}
  - {id: all-mcp, effect: allow, family: mcp}
  - {id: all-tool, effect: allow, family: tool}
YAML
  "$JAVA" -jar "$work/agt.jar" engine --policy "$work/allow-all.yaml" --socket "$work/e.sock" --audit-dir "$work/audit" > "$work/engine.out" 2>&1 &
  engine_pid=$!
  for _ in $(seq 100); do grep -q ready "$work/engine.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/engine.out" || { echo "the engine did not start:"; cat "$work/engine.out"; exit 1; }
  agent_arg="-javaagent:$work/agt-javaagent.jar=engine=$work/e.sock,name=compat,quiet=true"
}

# Stops the engine, says what it governed, verifies its log and prints the difference; exits 0
# when the agent broke nothing
compat_finish() {
  kill "$engine_pid"; wait "$engine_pid" 2>/dev/null || true; engine_pid=
  echo "== excluded (Testcontainers): $(wc -l < "$work/excluded.txt") classes: $(paste -sd' ' "$work/excluded.txt")"
  local log
  log=$("$JAVA" -jar "$work/agt.jar" audit show "$work/audit" --json)
  echo "== governed: $(echo "$log" | wc -l) decisions logged (mcp: $(echo "$log" | grep -c '"family":"mcp"' || true)," \
    "tool: $(echo "$log" | grep -c '"family":"tool"' || true)); denials: $(echo "$log" | grep -c '"effect":"deny"' || true)"
  "$JAVA" -jar "$work/agt.jar" audit verify "$work/audit" | tail -1
  local status=0
  "$JAVA" "$compat_dir/SurefireDiff.java" "$work/reports-plain" "$work/reports-agent" || status=$?
  exit $status
}
