# streamwatch: one image for every part (`streamwatch <command>`).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY --from=build /app/web/dist ./web/dist
USER node
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["start"]
