# Multi-stage image of Centinela: the API (`serve`) and the stream worker (`worker`).
# Build stage: compilers for better-sqlite3, dev dependencies for the TypeScript build.
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm ci && npm prune --omit=dev

# Runtime stage: only what runs, as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CENTINELA_HOST=0.0.0.0 \
    CENTINELA_DATABASE_URL=/data/centinela.db
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/dist ./dist
# The dashboard is served by the API from dashboard/dist (built by `npm ci` → prepare).
COPY --from=build --chown=node:node /app/dashboard/dist ./dashboard/dist
COPY --from=build --chown=node:node /app/node_modules ./node_modules
RUN mkdir -p /data && chown node:node /data
USER node
# See bin/centinela.js: a larger young generation shortens GC pauses under load.
ENV NODE_OPTIONS=--max-semi-space-size=64
VOLUME ["/data"]
EXPOSE 3000
# For `serve` only (compose disables it for `worker` and `migrate`, which do not listen).
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.CENTINELA_PORT||process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/centinela.js"]
CMD ["serve"]
