#!/usr/bin/env bash
# Builds a real Jaeger (v2, itself a collector distribution) from the Go module proxy into
# .tools/bin/jaeger, once. `go install ...@version` refuses the module because its go.mod has a
# replace directive, so a throwaway wrapper module carries that directive instead.
set -euo pipefail
version=v1.76.0   # the Go module version of Jaeger v2.x's cmd/jaeger
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin/jaeger"
stamp="$root/.tools/bin/jaeger.version"
[ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] && exit 0
command -v go >/dev/null || { echo "build-jaeger: go not found: install Go >= 1.26 and re-run" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/go.mod" <<MOD
module jaegerbuild

go 1.26

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
MOD
echo "Building Jaeger $version from the Go module proxy (a few minutes, once)" >&2
cd "$work"
export GOFLAGS=-mod=mod
go get "github.com/jaegertracing/jaeger/cmd/jaeger@$version" >"$work/get.log" 2>&1 || { tail -20 "$work/get.log" >&2; exit 1; }
mkdir -p "$(dirname "$bin")"
go build -p 2 -trimpath -ldflags="-s -w" -o "$bin.part" github.com/jaegertracing/jaeger/cmd/jaeger
mv "$bin.part" "$bin"
echo "$version" > "$stamp"
