#!/usr/bin/env bash
# Builds tools/vcsim/bin/vcsim from the *.go files here (package main) against Debian's govmomi
# 0.24.2 sources, offline, in GOPATH mode. Installs golang-go and golang-github-vmware-govmomi-dev
# with apt-get when missing (a fresh CI machine); skips the build when the binary is newer than
# its sources.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/bin/vcsim"

"$here/../../scripts/ensure-apt-packages.sh" golang-go golang-github-vmware-govmomi-dev

up_to_date() {
  [[ -x "$bin" && "$bin" -nt "$here/build.sh" ]] || return 1
  local f
  for f in "$here"/*.go; do [[ "$bin" -nt "$f" ]] || return 1; done
}
up_to_date && exit 0

# Test files start vcsim in parallel: one builds, the others wait on the lock and then find the
# binary up to date. The kernel drops the lock if the build dies.
mkdir -p "$here/bin"
exec 9>"$here/bin/.build.lock"
flock 9
up_to_date && exit 0

# GOPATH mode: our own workspace (the main package) first, then Debian's source tree.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/veba-vcsim"
cp "$here"/*.go "$work/src/veba-vcsim/"
export GO111MODULE=off GOPROXY=off
export GOPATH="$work:/usr/share/gocode"
export GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/go-build}"
cd "$work/src/veba-vcsim"
go build -o "$bin.tmp" .
mv -f "$bin.tmp" "$bin"
echo "built $bin" >&2
