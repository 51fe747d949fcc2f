# syntax=docker/dockerfile:1
#
# One image for every Roundhouse process; the command picks the service:
#   node dist/services/trigger/main.js      (and dispatcher, evaluator)
#   node dist/services/trainer/main.js      (the training Job's container)
#   node dist/services/evaluator/cli.js     (operator CLI: rollback, force-promote, …)
#   node dist/scripts/replay-dlq.js         (docs/runbook.md, "Replay a DLQ")
#
#   docker build -t ghcr.io/roundhouse/roundhouse:0.1.0 .
#
# Node ≥ 20.19: @kubernetes/client-node is ESM-only and is loaded with require(esm).
ARG NODE_IMAGE=node:20-bookworm-slim
# The runtime stage's base: Node alone, no npm needed (a base made from Debian
# packages by scripts/build-image.sh is 233 MB without npm, 392 MB with it: npm
# pulls in python3 and node-gyp). Default: the same image as the build stages.
ARG RUNTIME_IMAGE=node:20-bookworm-slim

# 1. Compile: every dependency (TypeScript is a dev dependency), then tsc.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: tsc needs none, and the dev tree has optional native builds.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY services services
COPY scripts scripts
COPY schemas schemas
# tsconfig.build.json: rootDir ".", outDir dist → dist/services/<service>/main.js,
# dist/lib/…, dist/scripts/…, and dist/package.json (services/trainer/version.ts imports it).
RUN npm run build

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled code, production node_modules, and the files read from
# disk at run time: schemas/ (lib/events findSchemasDir walks up from
# dist/lib/events to /app/schemas) and config/ (the default catalog,
# ROUNDHOUSE_CATALOG=config/catalog.yaml relative to /app).
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 roundhouse \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin roundhouse \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY config ./config
# Numeric, so Kubernetes can verify runAsNonRoot without resolving a name.
USER 10001:10001
# /data: artifacts and local runs in docker compose (a named volume inherits this owner).
VOLUME ["/data"]
ENTRYPOINT ["node"]
CMD ["-e", "console.error('choose a process: dist/services/{trigger,dispatcher,evaluator,trainer}/main.js'); process.exit(64)"]
