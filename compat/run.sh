#!/usr/bin/env bash
# Runs the SDK compatibility suites (npm `cloudinary`, then cloudinary-go) against a cloudlet
# binary. Each suite starts its own cloudlet on a free 127.0.0.1 port with a fresh data dir.
# Usage: CLOUDLET_BIN=/abs/path/to/bin/cloudlet compat/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -z "${CLOUDLET_BIN:-}" ]]; then
  echo "compat/run.sh: set CLOUDLET_BIN to the absolute path of a built cloudlet binary," >&2
  echo "  e.g. (cd <repo> && go build -o bin/cloudlet .) && CLOUDLET_BIN=<repo>/bin/cloudlet compat/run.sh" >&2
  exit 2
fi
if [[ "$CLOUDLET_BIN" != /* ]]; then
  echo "compat/run.sh: CLOUDLET_BIN must be an absolute path (got '$CLOUDLET_BIN')" >&2
  exit 2
fi
if [[ ! -x "$CLOUDLET_BIN" ]]; then
  echo "compat/run.sh: CLOUDLET_BIN=$CLOUDLET_BIN is not an executable file" >&2
  exit 2
fi
export CLOUDLET_BIN

failed=()

echo "== compat/node: cloudinary npm (pinned in package-lock.json)"
cd "$here/node"
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund </dev/null
  touch node_modules
fi
node --test </dev/null || failed+=("node")

echo "== compat/gosdk: cloudinary-go (pinned in go.mod)"
cd "$here/gosdk"
go test -count=1 ./... </dev/null || failed+=("gosdk")

if (( ${#failed[@]} )); then
  echo "compat: FAILED suites: ${failed[*]}" >&2
  exit 1
fi
echo "compat: all suites passed"
