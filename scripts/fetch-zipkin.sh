#!/usr/bin/env bash
# Fetches the Zipkin server exec jar from Maven Central into .tools/ (once; checked by SHA-1).
# Tests and `make demo` run it with the machine's Java (17+).
set -euo pipefail
version=3.6.1
sha1=5800cc1f3d2eb8f38d2d6905d59f9a0414b6d7dd
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools"
jar="$dir/zipkin-server-$version-exec.jar"
command -v java >/dev/null || { echo "fetch-zipkin: java not found: install a JDK >= 17 (Debian: apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
if [ -f "$jar" ] && echo "$sha1  $jar" | sha1sum -c --quiet 2>/dev/null; then exit 0; fi
mkdir -p "$dir"
echo "Fetching zipkin-server $version from Maven Central" >&2
curl -fsSL --retry 3 -o "$jar.part" \
  "https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$version/zipkin-server-$version-exec.jar"
echo "$sha1  $jar.part" | sha1sum -c --quiet || { echo "fetch-zipkin: checksum mismatch" >&2; rm -f "$jar.part"; exit 1; }
mv "$jar.part" "$jar"
