#!/usr/bin/env bash
# Daytona's TypeScript SDK, unmodified: @daytonaio/sdk 0.218.0 and 0.190.1,
# pinned in tests/sdk/package.json and package-lock.json, which
# tests/sdk_test.go runs against `procsh serve`. Needs node and npm
# (installed from Debian when missing). PROCSH_SKIP_SDK=1 skips both.
set -euo pipefail
[ "${PROCSH_SKIP_SDK:-}" = 1 ] && exit 0
cd "$(dirname "$0")/../../tests/sdk"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq nodejs npm >/dev/null
fi
installed=1
for v in 0.218.0 0.190.1; do
	node -e "process.exit(require('./node_modules/sdk-$v/package.json').version === '$v' ? 0 : 1)" 2>/dev/null || installed=0
done
[ "$installed" = 1 ] && exit 0
npm ci --no-audit --no-fund --loglevel=error >/dev/null
