# One image per service: docker build --build-arg SERVICE=billing .
# (SERVICE is bot-gateway, billing, generator, delivery, projector, or ops for the runbook's commands.)
# Multi-stage: the build stage compiles the workspace, `pnpm deploy` copies one package with its production
# dependencies only, and the runtime stage runs it as the unprivileged `node` user, on files it cannot change.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=<bot-gateway|billing|generator|delivery|projector|ops> is required" && false)
RUN npm install -g pnpm@10.34.9
WORKDIR /src
# Packages are downloaded from the lockfile alone, so this layer is reused until a dependency changes,
# and no list of workspace packages has to be kept here.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
# `deploy` copies what the package would publish plus its production dependencies. Services have no
# `files` list, so sources, tests and tsconfigs are removed again; what a service reads at run time beside
# dist stays: services/delivery/locales/*.ftl and services/projector/public/* (the dashboard).
RUN pnpm --filter "@neurocards/${SERVICE}..." run build \
 && pnpm --filter "@neurocards/${SERVICE}" deploy --legacy --prod /out \
 && rm -rf /out/src /out/test /out/tsconfig.json /out/tsconfig.build.json \
 && find /out/dist -name '*.test.*' -delete

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /out ./
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
