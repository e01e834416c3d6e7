#!/usr/bin/env bash
# Prints, as a JSON array, the functions (folder names under functions/) whose image must be
# rebuilt for the commits between BASE and HEAD. Used by .github/workflows/images.yml and tested
# by tests/deploy/workflows.test.ts against a scratch git repository.
#
#   affected-functions.sh [BASE]
#
# Every function, when:
#   - BASE is empty, all zeros (a new branch), not a commit here, or not an ancestor of HEAD
#     (history rewritten): nothing to diff against, so nothing may be assumed built;
#   - an image-wide input changed. The Dockerfile copies the root package.json and
#     package-lock.json (turbo prune, npm ci), turbo.json (prune and build),
#     tsconfig.base.json and scripts/bundle-function.mjs (every function's build bundles with
#     it) into every image; .dockerignore decides what the build sees.
#     `turbo ls --affected` maps none of these to a package (a change to the root package.json
#     alone, e.g. overrides or engines, affects no package in its eyes), so they are listed here.
# Otherwise: turbo's affected packages (changed ones and every package that depends on them),
# keeping the functions. The reason goes to stderr.
set -euo pipefail

base="${1:-}"
image_wide='Dockerfile|\.dockerignore|package\.json|package-lock\.json|tsconfig\.base\.json|turbo\.json|scripts/bundle-function\.mjs'

# Node, not jq: the script also runs in the tests, on machines that have Node and git only.
json_array() {
  node -e 'const names = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
    console.log(JSON.stringify(names.sort()));'
}

all=$(find functions -mindepth 2 -maxdepth 2 -name package.json -printf '%h\n' \
  | sed 's|^functions/||' | json_array)

every() {
  echo "every function: $1" >&2
  echo "$all"
}

if [[ -z "$base" || "$base" =~ ^0+$ ]]; then
  every "no base commit"
elif ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  every "base $base is not in this clone"
elif ! git merge-base --is-ancestor "$base" HEAD; then
  every "base $base is not an ancestor of HEAD"
elif changed=$(git diff --name-only "$base" HEAD | grep -xE "$image_wide"); then
  every "image-wide input changed since $base: $(echo "$changed" | tr '\n' ' ')"
else
  echo "functions turbo finds affected since $base" >&2
  TURBO_SCM_BASE="$base" TURBO_SCM_HEAD=HEAD turbo ls --affected --output=json \
    | node -e 'const { packages } = JSON.parse(require("fs").readFileSync(0, "utf8"));
        for (const p of packages.items) if (p.path.startsWith("functions/")) console.log(p.path.slice(10));' \
    | json_array
fi
