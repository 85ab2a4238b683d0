#!/usr/bin/env bash
# Compatibility as a measured property, on code the built-in rules intercept: Spring AI's MCP
# WebFlux module (mcp-spring-webflux, a pinned release): its client transports on WebClient, its
# server transports, and the MCP Java SDK clients and servers its tests drive through them. Run
# plainly, then with the agt agent attached to every forked test JVM under an allow-all policy;
# prints the difference. Goal: 0 tests broken by the agent. Results: COMPATIBILITY.md.
#
# Usage: bench/compat/spring-ai-mcp.sh    (needs the built agent and cli jars: ./mvnw -B verify)
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/compat/spring-ai-mcp.sh   on JDK 25
#   SPRING_AI_GIT=URL|DIR  where to clone from (default: its GitHub repository); SPRING_AI_TAG (default v2.0.0)
#   KEEP=DIR               keep the work directory
#
# The module's tests are integration tests (*IT) that Spring AI runs with Failsafe; here they
# run with Surefire, selected by name. Those that need Docker (Testcontainers) are left out.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
compat_prepare
compat_clone "${SPRING_AI_GIT:-https://github.com/spring-projects/spring-ai.git}" "${SPRING_AI_TAG:-v2.0.0}"
module=mcp/transport/mcp-spring-webflux
compat_excludes "$module"
# every test class by Maven's naming (many inherit their tests from the MCP SDK's mcp-test bases)
tests=$(cd "$work/src/$module/src/test" && find . -name '*.java' | sed 's#.*/##; s#\.java$##' | grep -E '(IT|Tests?)$' \
  | grep -vxF -f "$work/excluded.txt" | grep -v '^Abstract' | sort | paste -sd, -)
# its build asks for a newer JDK 17 update than these machines have: the enforcer is skipped, the code compiles for 17 alike
skip=(-Denforcer.skip=true -Dspring-javaformat.skip=true -Dcheckstyle.skip=true -Dmaven.javadoc.skip=true -Ddisable.checks=true)
# the module alone (-f), not the reactor: its parent is read from the checkout, its dependencies come from Maven Central
compat_mvn plain "" -f "$module/pom.xml" test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false "${skip[@]}"
compat_engine
compat_mvn agent "$agent_arg" -f "$module/pom.xml" test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false "${skip[@]}"
compat_finish
