# syntax=docker/dockerfile:1
#
# Zerokey container image.
#
#   docker build -t zerokey:0.1.0 .
#   docker run --rm -p 8080:8080 -e ENCRYPTION_KEY="$(openssl rand -base64 32)" zerokey:0.1.0
#
# The tag follows the "version" of package.json; deploy/kubernetes/deployment.yaml runs the same
# tag (test/e2e/deploy-manifests.e2e-spec.ts checks that they agree).
# NODE_ENV=production is baked in: the container refuses to start without ENCRYPTION_KEY. Without
# DB_TYPE=mysql it uses SQLite at /app/data/zerokey.sqlite; mount a volume there to keep it.

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: compile TypeScript (better-sqlite3 compiles from source only where it has no prebuilt binary) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: no compiler, no dev dependencies, non-root ----
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="zerokey" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.description="Machine identity for Kubernetes workloads"
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
# A numeric UID, so Kubernetes can verify runAsNonRoot (deployment.yaml runs as 10001 too).
RUN groupadd --system --gid 10001 zerokey \
 && useradd --system --uid 10001 --gid zerokey --home-dir /app --no-create-home --shell /usr/sbin/nologin zerokey \
 && mkdir -p /app/data \
 && chown zerokey:zerokey /app/data
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/scripts ./dist/scripts
# zerokey-agent (docs/agent.md) ships in the same image: `node dist/agent/main.js …`.
COPY --from=build /app/dist/agent ./dist/agent
COPY --from=build /app/dist/ormconfig.js ./dist/ormconfig.js
# The admin console (docs/console.md), served under /ui/.
COPY --from=build /app/dist/console ./dist/console
USER 10001:10001
EXPOSE 8080
# node:24-slim has no curl: probe /api/status with node's own http client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const r=require('http').get({host:'127.0.0.1',port:process.env.PORT||8080,path:'/api/status',timeout:4000},s=>process.exit(s.statusCode===200?0:1));r.on('error',()=>process.exit(1));r.on('timeout',()=>r.destroy(new Error('timeout')))"]
# Node handles SIGTERM itself (graceful shutdown: in-flight requests finish, then exit 0).
# Heap sizing and malloc arenas as scripts/runtime.json says (the same as npm start and npm run bench).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=8", "dist/src/main.js"]
