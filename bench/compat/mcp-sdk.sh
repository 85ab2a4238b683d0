#!/usr/bin/env bash
# Compatibility as a measured property: the MCP Java SDK's own test suite (a pinned release, the
# modules mcp-core, mcp-json-jackson2, mcp-json-jackson3 and mcp-test), run plainly and then with
# the agt agent attached to every forked test JVM under an allow-all policy; prints the
# difference. Goal: 0 tests broken by the agent. Results: COMPATIBILITY.md.
#
# Usage: bench/compat/mcp-sdk.sh          (needs the built agent and cli jars: ./mvnw -B verify)
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/compat/mcp-sdk.sh   on JDK 25
#   MCP_SDK_GIT=URL|DIR  where to clone from (default: its GitHub repository); MCP_SDK_TAG (default v2.0.1)
#   KEEP=DIR             keep the work directory (sources, reports, engine and audit log)
#
# Not part of ./mvnw -B verify: it fetches and builds another project and runs for minutes.
# Test classes that need Docker (Testcontainers) are left out of both passes.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
compat_prepare
compat_clone "${MCP_SDK_GIT:-https://github.com/modelcontextprotocol/java-sdk.git}" "${MCP_SDK_TAG:-v2.0.1}"
modules=mcp-core,mcp-json-jackson2,mcp-json-jackson3,mcp-test
compat_excludes mcp-core mcp-json-jackson2 mcp-json-jackson3 mcp-test
excludes=$(sed 's#^#**/#; s#$#.java#' "$work/excluded.txt" | paste -sd, -)
# the SDK's pom appends its own surefireArgLine to the Mockito agent it attaches
compat_mvn plain "" -f pom.xml -pl "$modules" -am test -Dsurefire.excludes="$excludes"
compat_engine
compat_mvn agent "$agent_arg" -f pom.xml -pl "$modules" -am test -Dsurefire.excludes="$excludes"
compat_finish
