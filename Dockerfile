# syntax=docker/dockerfile:1
# One image for both roles: `mirrorscope agent` (DaemonSet) and `mirrorscope collector` (Deployment).

# --- build: all dependencies, compile TypeScript ---
FROM docker.io/library/node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only ---
FROM docker.io/library/node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# --- must-gather: `oc adm must-gather --image=…:must-gather` runs /usr/bin/gather and copies
# /must-gather back; its copy container needs a shell, sleep and tar, which distroless lacks, so
# this image is Debian slim (docker build --target must-gather). ---
FROM docker.io/library/node:24-bookworm-slim AS must-gather
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
RUN chmod 755 /app/dist/cli/gather-entry.js && ln -s /app/dist/cli/gather-entry.js /usr/bin/gather
ENTRYPOINT ["/usr/bin/gather"]

# --- runtime: distroless Node 24, no shell, non-root ---
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY examples ./examples
USER 65532:65532
# Nothing is written at run time, so the root filesystem can be read-only. Probes live in the
# manifests (no HEALTHCHECK): /healthz and /readyz on the agent's probe port and the collector.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
CMD ["agent", "--root=/host"]
