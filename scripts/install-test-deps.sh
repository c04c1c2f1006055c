#!/usr/bin/env bash
# Installs the real BitTorrent peers the interop tests and benchmarks run against (Debian packages):
#   python3-libtorrent  libtorrent 2.0 (seeder, leecher, torrent creation and verification)
#   transmission-cli    Transmission 3.00, run inside a network namespace (it refuses 127.0.0.0/8 peers)
#   aria2               aria2c 1.36 (BitTorrent seeder and leecher)
#   rtorrent            rtorrent 0.9.8 over libtorrent-rakshasa 0.13 (a separate implementation), run headless
#   qbittorrent-nox     qBittorrent 4.5 (libtorrent-rasterbar 2.0), driven through its Web API
#   iproute2            `ip netns` and veth pairs for the Transmission namespace
#   time                /usr/bin/time (wall time, CPU and peak RSS of bench children)
#   opentracker         the reference HTTP/UDP tracker (tracker interop tests and bench)
#   chromium            headless browser for the web UI's end-to-end test (driven by playwright-core)
#   miniupnpd-nftables  a real UPnP IGD / NAT-PMP / PCP router for the port-mapping test (run in a namespace)
#   nftables            the NAT rules of the namespaced routers
# Does nothing when they are already there; needs root (or sudo) otherwise. Quiet unless it fails.
set -euo pipefail
packages=(python3-libtorrent transmission-cli aria2 rtorrent qbittorrent-nox iproute2 time opentracker chromium miniupnpd-nftables nftables)
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
# Wait for another apt/dpkg run to finish rather than failing; show apt's output only on failure.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq \
    && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-test-deps: failed to install ${missing[*]}" >&2
  exit 1
fi
