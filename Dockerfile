# syntax=docker/dockerfile:1
#
# kscape: one image for every component. The command selects what runs:
#   kscape function <scan|vuln|schedule|export|control|deadletter>   (Knative Services)
#   kscape storage-api                                                (aggregated API server)
#   kscape node-agent                                                 (DaemonSet)
#   kscape dev                                                        (all in one, local)
#
#   docker build -t ghcr.io/kscape/kscape:0.1.0 .
#
# Base image: Node 22 LTS on Debian slim, pinned to an exact tag so rebuilds are reproducible;
# bump it deliberately (release builds should additionally pin the digest:
# `FROM node:22.21.1-bookworm-slim@sha256:<digest>`, from `docker buildx imagetools inspect`).
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

# ---------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY functions ./functions
COPY storage-api ./storage-api
COPY node-agent ./node-agent
COPY cli ./cli
COPY bench ./bench
# The local broker of `kscape dev` reuses the manifest loader in test/support (tsc follows imports).
COPY test/support ./test/support
# npm run build = tsc, then one esbuild bundle per function (dist/bundle/): `kscape function <name>`
# loads a few files instead of ~1,500 modules on every scale-from-zero (functions/runtime/README.md).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# -------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE}
# HOME=/tmp: nothing is written outside /tmp (an emptyDir in the manifests; the root filesystem is
# read-only there). NODE_ENV=production for libraries that check it.
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Read at run time, not compiled: SQL migrations, placed next to the compiled module that loads
# them (`new URL('./migrations', import.meta.url)`; test/manifests.test.ts checks every migrations
# folder of the repository is copied here), the sandbox seed and sample configs in examples/, and
# the Triggers and PingSources that `kscape dev` follows.
COPY storage-api/store/migrations ./dist/storage-api/store/migrations
COPY functions/schedule/store/migrations ./dist/functions/schedule/store/migrations
COPY functions/control/store/migrations ./dist/functions/control/store/migrations
COPY functions/scan/host/migrations ./dist/functions/scan/host/migrations
COPY functions/vuln/osv/store/migrations ./dist/functions/vuln/osv/store/migrations
COPY examples ./examples
COPY knative ./knative
# The node agent's node: a copy of node with file capabilities, run only by the node agent (its
# DaemonSet's `command`). The agent runs as uid 65532, and a non-root process gets capabilities
# across execve only from the file it executes (Kubernetes sets no ambient capabilities). Exactly the
# two the agent uses, permitted and effective at exec (=ep: node cannot raise them itself); why each
# is in the DaemonSet. A separate copy, not node itself: a file whose capabilities are not all in the
# bounding set fails to execute (EPERM), and every other component drops ALL.
# Set in this stage rather than copied from another: whether a COPY between stages carries the
# security.capability attribute depends on the builder, a RUN's layer always records it (as Debian's
# own ping does). libcap2-bin is removed again in the same layer.
RUN cp /usr/local/bin/node /usr/local/bin/node-agent-node \
 && apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_sys_ptrace,cap_dac_read_search=ep /usr/local/bin/node-agent-node \
 && getcap /usr/local/bin/node-agent-node | grep -q 'cap_dac_read_search,cap_sys_ptrace=ep' \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
# Numeric non-root user (no passwd entry needed): Kubernetes can verify runAsNonRoot only for a
# numeric USER. Files above stay root-owned and read-only to it.
USER 65532:65532
# Function hosts listen on PORT (8080, set by Knative); storage-api 8443; node-agent health 7888.
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
