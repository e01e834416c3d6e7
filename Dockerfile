# syntax=docker/dockerfile:1
#
# One image per function, from one Dockerfile:
#
#   docker build --build-arg FUNCTION=echo -t veba-echo .
#
# Why one file with a FUNCTION build argument rather than a Dockerfile per function: the
# functions share the runtime, the build steps and the base image, so there is one place to bump
# Node, harden the image or change a stage, and the CI matrix (.github/workflows/images.yml)
# passes the name. `turbo prune` keeps each image to its own function's workspace graph, so
# nothing of the other functions goes into it.

# Node 26 is the Active LTS line (since 2026-10-28; 24 is in maintenance). Dependabot proposes
# patch and minor bumps of this tag weekly. Every stage starts from it, so one line to change.
FROM node:26.13.0-slim AS base
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    TURBO_TELEMETRY_DISABLED=1 \
    TURBO_NO_UPDATE_NOTIFIER=1

# 1. prune: the named function and the workspaces it depends on, split into manifests (json/)
#    and sources (full/) so that the install layer stays cached until dependencies change.
FROM base AS prune
ARG FUNCTION
RUN test -n "$FUNCTION" || { echo 'build with --build-arg FUNCTION=<folder under functions/>' >&2; exit 1; }
COPY package.json package-lock.json ./
# The turbo the lockfile pins, so prune reads the lockfile the way CI's turbo does.
RUN npm install -g "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")"
COPY . .
RUN test -f "functions/$FUNCTION/package.json" || { echo "no function at functions/$FUNCTION" >&2; exit 1; } \
 && turbo prune "@veba-functions/$FUNCTION" --docker --out-dir /out

# 2. install: every dependency of the pruned graph (the build needs TypeScript and esbuild).
#    --omit=peer leaves out the packages only test tooling pulls in as peers (aws-cdk-lib, ~160 MB).
FROM base AS install
COPY --from=prune /out/json/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=peer

# 3. build: compile the function and its workspace dependencies (turbo's ^build order). A
#    function's build ends by bundling it with every module it imports into one file,
#    functions/<name>/dist/main.js (scripts/bundle-function.mjs): starting a function then loads
#    and compiles one file instead of some hundreds, which was most of its start-up time. Only the
#    bundle goes into the image: no node_modules, no build tools.
FROM install AS build
ARG FUNCTION
COPY --from=prune /out/full/ ./
# turbo prune copies workspaces, not root config files or scripts.
COPY tsconfig.base.json ./
COPY scripts/bundle-function.mjs ./scripts/
RUN npx turbo run build --filter="@veba-functions/$FUNCTION"

# 4. compile cache: Node's V8 code cache of the bundle, so the function does not parse it at each
#    start. The root filesystem is read-only at run time, so the cache is written here: by the
#    same Node, for the same path and as the same user (Node keys the cache on all three), by
#    running the bundle once until it fails its config check (an invalid PORT).
FROM base AS compile-cache
ARG FUNCTION
COPY --from=build /app/scripts/bundle-function.mjs ./scripts/
COPY --from=build /app/functions/${FUNCTION}/package.json ./functions/${FUNCTION}/
COPY --from=build /app/functions/${FUNCTION}/dist/main.js /app/functions/${FUNCTION}/dist/main.js.map /app/functions/${FUNCTION}/dist/THIRD-PARTY-LICENSES.txt ./functions/${FUNCTION}/dist/
USER 1000:1000
RUN node scripts/bundle-function.mjs --compile-cache /tmp/compile-cache "$FUNCTION"

# 5. runtime: Node, the bundle (with its source map and third-party licences), the function's
#    package.json (its `"type": "module"` makes dist/main.js an ES module) and the compile cache,
#    not root.
FROM base AS runtime
ARG FUNCTION
LABEL org.opencontainers.image.title="veba-functions/${FUNCTION}" \
      org.opencontainers.image.description="VEBA event function ${FUNCTION} (Knative, CloudEvents)"
ENV NODE_ENV=production \
    FUNCTION=${FUNCTION} \
    PORT=8080 \
    NODE_COMPILE_CACHE=/app/.compile-cache
# Root owns the files and the function cannot change its own code; the chart also mounts the
# root filesystem read-only (Node reads the compile cache and writes nothing there).
COPY --from=build /app/functions/${FUNCTION}/package.json ./functions/${FUNCTION}/
COPY --from=build /app/functions/${FUNCTION}/dist/main.js /app/functions/${FUNCTION}/dist/main.js.map /app/functions/${FUNCTION}/dist/THIRD-PARTY-LICENSES.txt ./functions/${FUNCTION}/dist/
COPY --from=compile-cache /tmp/compile-cache/ ./.compile-cache/
# uid 1000 is the image's `node` user; numeric so runAsNonRoot can be verified by the kubelet.
USER 1000:1000
EXPOSE 8080
# `exec` makes node PID 1, so SIGTERM from Knative reaches the runtime and starts its drain.
# The effective command is: node functions/<FUNCTION>/dist/main.js (the one entry point)
CMD ["/bin/sh", "-c", "exec node \"functions/${FUNCTION}/dist/main.js\""]
