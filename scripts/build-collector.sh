#!/usr/bin/env bash
# Build the otelcol-agentos collector distribution (collector/manifest.yaml) with the OpenTelemetry
# Collector Builder (ocb): `make collector`. The binary is collector/_build/otelcol-agentos.
#
# Idempotent and cached:
#   - ocb is installed into collector/_build/bin at the pinned version, once.
#   - The collector is rebuilt only when the binary is missing or older than manifest.yaml, this
#     script, or any file under collector/auditexporter. Otherwise the script returns at once.
# Needs Go >= 1.26, the version the auditexporter and contrib go.mod files require. Go 1.21 to 1.25
# also works: it fetches the Go 1.26 toolchain through the module proxy itself.
# Environment: COLLECTOR_BUILD_JOBS (default 2) caps parallel compile jobs; FORCE=1 rebuilds.
set -euo pipefail

OCB_VERSION=v0.165.0
NEED_GO=1.26      # go directive of collector/auditexporter/go.mod and of the contrib modules
MIN_GO=1.21       # the oldest go command that can fetch a newer toolchain (GOTOOLCHAIN)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLLECTOR=$ROOT/collector
BUILD=$COLLECTOR/_build
BINARY=$BUILD/otelcol-agentos
OCB=$BUILD/bin/builder
LOG=$BUILD/build.log
SCRIPT=$ROOT/scripts/build-collector.sh

fail() {
    echo "build-collector: $*" >&2
    exit 1
}

# -- is a build needed? (no Go needed to answer) -------------------------------------------------
stale() {
    [[ ${FORCE:-} == 1 || ! -x $BINARY ]] && return 0
    [[ -n $(find "$COLLECTOR/manifest.yaml" "$SCRIPT" "$COLLECTOR/auditexporter" -newer "$BINARY" -print -quit) ]]
}

if ! stale; then
    echo "collector/_build/otelcol-agentos is up to date"
    exit 0
fi

# -- Go -------------------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 ||
    fail "go not found: install Go >= $NEED_GO (https://go.dev/dl/; Debian bookworm's golang package is 1.19, too old) and re-run make collector"

go_version=$(go env GOVERSION 2>/dev/null || true)
[[ -n $go_version ]] || go_version=$(go version 2>/dev/null | awk '{print $3}')
go_version=${go_version#go}

# "1.26.8" -> 1026, "1.19rc1" -> 1019
version_number() {
    local major minor
    IFS=. read -r major minor _ <<<"$1"
    minor=${minor%%[!0-9]*}
    echo $((10#${major:-0} * 1000 + 10#${minor:-0}))
}

have=$(version_number "$go_version")
if ((have < $(version_number $MIN_GO))); then
    fail "go $go_version is too old: install Go >= $NEED_GO (https://go.dev/dl/) and re-run make collector"
fi
if ((have < $(version_number $NEED_GO))); then
    # The go.mod files ask for Go 1.26; let this go command fetch that toolchain through the proxy.
    export GOTOOLCHAIN=auto
fi

# -- build ----------------------------------------------------------------------------------------
mkdir -p "$BUILD/bin"
# One build at a time (make collector and the tests may run together).
exec 9>"$BUILD/.lock"
flock 9
if ! stale; then # built by whoever held the lock
    echo "collector/_build/otelcol-agentos is up to date"
    exit 0
fi

jobs=${COLLECTOR_BUILD_JOBS:-2}
# -mod=mod: resolve modules as needed. -e: `go mod tidy` (run by ocb) must not fail on test-only
# dependencies of our dependencies that the module proxy does not serve (fileexporter's tests import
# otlpencodingextension v0.165.0, for instance); the build itself still needs every module it compiles.
export GOFLAGS="$(go env GOFLAGS) -mod=mod -e -p=$jobs"
export GOMAXPROCS=$jobs
export CGO_ENABLED=0
export GOBIN=$BUILD/bin

if [[ $("$OCB" version 2>&1 || true) != *"$OCB_VERSION"* ]]; then
    echo "installing ocb $OCB_VERSION into collector/_build/bin"
    go install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION" >"$LOG" 2>&1 ||
        { tail -n 20 "$LOG" >&2; fail "could not install ocb $OCB_VERSION (log: $LOG)"; }
fi

echo "building collector/_build/otelcol-agentos with ocb $OCB_VERSION ($jobs jobs; about 3 minutes when nothing is cached)"
start=$SECONDS
touch "$BUILD/.build-started" # inputs changed from now on make the next run build again
# ocb resolves the manifest's local `path:` entries against the working directory.
# --skip-strict-versioning: the manifest mixes contrib versions (see its header).
if ! (cd "$COLLECTOR" && "$OCB" --config=manifest.yaml --skip-strict-versioning) >"$LOG" 2>&1; then
    errors=$(grep -E 'error|Error|failed|cannot|undefined' "$LOG" | grep -v '^go: downloading' | tail -n 20 || true)
    echo "${errors:-$(tail -n 20 "$LOG")}" >&2
    fail "building the collector failed (full log: $LOG)"
fi
[[ -x $BINARY ]] || fail "ocb finished but $BINARY is missing (log: $LOG)"
touch -r "$BUILD/.build-started" "$BINARY" # even if the Go linker left an older file in place
size=$(awk -v bytes="$(wc -c <"$BINARY")" 'BEGIN { printf "%.1f", bytes / 1048576 }')
echo "built collector/_build/otelcol-agentos (${size} MiB) in $((SECONDS - start))s"
