# One image per service: docker build --build-arg SERVICE=billing .
# Multi-stage: the build stage compiles the workspace, `pnpm deploy` copies one service with its production
# dependencies only, and the runtime stage runs it as the unprivileged `node` user.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=<bot-gateway|billing|generator|delivery|projector> is required" && false)
RUN npm install -g pnpm@10.34.9
WORKDIR /src
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/runtime/package.json packages/runtime/
COPY packages/fake-providers/package.json packages/fake-providers/
COPY services/bot-gateway/package.json services/bot-gateway/
COPY services/billing/package.json services/billing/
COPY services/generator/package.json services/generator/
COPY services/delivery/package.json services/delivery/
COPY services/projector/package.json services/projector/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter "@neurocards/${SERVICE}..." run build \
 && pnpm --filter "@neurocards/${SERVICE}" deploy --legacy --prod /out

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /out ./
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
