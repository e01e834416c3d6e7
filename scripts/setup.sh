#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine:
# redis-server (dedupe/ordering tests), Go + Debian's govmomi sources (vcsim), then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server golang-go golang-github-vmware-govmomi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The test setup starts its own redis-server on a free port; the distro service is not needed.
npm ci --no-audit --no-fund
# vcsim (vCenter for the tests and the demo): a cold build takes over a minute, so do it here once
# rather than inside a test's setup hook.
tools/vcsim/build.sh
