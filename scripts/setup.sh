#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine:
# redis-server (dedupe/ordering tests, Sentinel and Cluster topologies), openssl (TLS test
# certificates), Go + Debian's govmomi sources (vcsim, the runtime's Go-client test), then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-apt-packages.sh redis-server openssl golang-go golang-github-vmware-govmomi-dev
# The test setup starts its own redis-server on a free port; the distro service is not needed.
npm ci --no-audit --no-fund
# vcsim (vCenter for the tests and the demo): a cold build takes over a minute, so do it here once
# rather than inside a test's setup hook.
tools/vcsim/build.sh
