#!/usr/bin/env bash
# The project's test command: installs what the tests need when it is
# missing (each tools/deps/*.sh checks and installs one component), then
# checks formatting, vet and module tidiness, and runs every test with the
# race detector. It exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

for dep in tools/deps/*.sh; do
	[ -e "$dep" ] || continue
	bash "$dep"
done

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi
if ! go mod tidy -diff >/dev/null; then
	echo "go.mod/go.sum are not tidy: run go mod tidy" >&2
	go mod tidy -diff >&2 || true
	exit 1
fi
go vet ./...
# Linux-only code must carry its build constraint: the module builds, and
# the local backend vets, for another system too.
GOOS=darwin go build ./...
GOOS=darwin go vet ./client/local ./internal/proctable
go test -race -timeout 40m "$@" ./...
