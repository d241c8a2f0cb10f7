#!/usr/bin/env bash
# Run lint, type checks and the whole test suite, with the Neo4j tests
# against a real server: the local one that server/neo4jctl starts, or the
# one NEO4J_URI points at. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# The browser tests drive Debian's Chromium through Playwright; no browser is
# ever downloaded by Playwright itself.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
  fi
fi
if [ -x /usr/bin/chromium ]; then
  export KYCGRAPH_REQUIRE_BROWSER=1
fi

started_neo4j=0
stop_neo4j() {
  # Quiet, so that the last lines of the output are pytest's summary.
  if [ "$started_neo4j" = 1 ]; then
    server/neo4jctl stop >/dev/null 2>&1 || echo "stopping the local Neo4j failed; run server/neo4jctl stop" >&2
  fi
}
trap stop_neo4j EXIT

if [ -z "${NEO4J_URI:-}" ]; then
  export NEO4J_PASSWORD="${NEO4J_PASSWORD:-kycgraph-dev}"
  if ! server/neo4jctl status >/dev/null 2>&1; then
    server/neo4jctl start
    started_neo4j=1
  fi
  export NEO4J_URI="bolt://${KYCGRAPH_NEO4J_BOLT_ADDRESS:-127.0.0.1:7687}"
  # With a local server the tests may stop and start Neo4j themselves: the
  # load-resume and 503-recovery tests (private instances on other ports, or
  # the one above, which they start again).
  export KYCGRAPH_NEO4J_CTL="${KYCGRAPH_NEO4J_CTL:-1}"
fi
# The Neo4j tests fail instead of skipping when the server is missing.
export KYCGRAPH_REQUIRE_NEO4J=1

echo "== ruff"
$BIN/ruff check .
echo "== mypy"
$BIN/mypy
echo "== pytest"
$BIN/pytest "$@"
