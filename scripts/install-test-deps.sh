#!/usr/bin/env bash
# Installs the real BitTorrent peers the interop tests run against (Debian packages).
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -euo pipefail
packages=(python3-libtorrent)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install-test-deps: no apt-get here; install ${missing[*]} by hand (interop tests will be skipped)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
