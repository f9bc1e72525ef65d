#!/usr/bin/env bash
# Runs the test-rig hawkBit (fleet/hawkbit-server, built by setup.sh) in the foreground for a
# rehearsal by hand, e.g. `zdfu sim --count 100 --hawkbit http://127.0.0.1:8080 --gateway-token KEY`.
# Ctrl-C stops it; its in-memory database goes with it. Loopback only. Management API user admin,
# password $HAWKBIT_PASSWORD (default admin); port $HAWKBIT_PORT (default 8080); artifacts in
# .cache/hawkbit/artifacts. Once it logs "Started Start", set the gateway token:
#   curl -u admin:admin -X PUT -H 'Content-Type: application/json' -d '{"value":"KEY"}' \
#     http://127.0.0.1:8080/rest/v1/system/configs/authentication.gatewaytoken.key
# The fleet suite does not use this script: test/hawkbit/support/hawkbit.ts starts its own server.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/hawkbit/setup.sh >&2
jar=$(ls -t .cache/hawkbit/hawkbit-server-*.jar | head -n 1)
mkdir -p .cache/hawkbit/artifacts
exec java -Xmx512m -jar "$jar" \
  --server.address=127.0.0.1 \
  --server.port="${HAWKBIT_PORT:-8080}" \
  --spring.security.user.password="{noop}${HAWKBIT_PASSWORD:-admin}" \
  --org.eclipse.hawkbit.repository.file.path="$PWD/.cache/hawkbit/artifacts"
