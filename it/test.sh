#!/usr/bin/env bash
# Runs every test: unit tests (surefire) and the integration tests in network namespaces (failsafe),
# after installing what is missing and building. As root. `.ci/run` runs exactly this.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/it/lib/prepare.sh"
cd "$root"

# The tests must never touch the machine's own networking; hold them to it.
root_ns_state() {
  ip -br link show
  ip -br addr show
  ip -4 route show table main
}
before=$(root_ns_state)

status=0
mvn -B verify || status=$?

after=$(root_ns_state)
if [ "$before" != "$after" ]; then
  echo "test: the root network namespace changed during the tests:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
exit "$status"
