#!/usr/bin/env bash
# Usage: ensure-debian-packages.sh COMMAND:PACKAGE...
# Installs PACKAGE from Debian's archive unless COMMAND is already on PATH. Idempotent, and fast
# when everything is there. Fails loudly: a test that needs a real component must not skip.
set -euo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"; command -v sudo >/dev/null || { echo "ensure-debian-packages: need root to install ${missing[*]}" >&2; exit 1; }
else
  sudo=""
fi
echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# --no-install-recommends: promtool needs none of the web UI or node exporter extras
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || { echo "ensure-debian-packages: ${pair%%:*} still missing after installing ${pair#*:}" >&2; exit 1; }
done
