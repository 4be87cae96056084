# feather-serve in a container: the store lives in /data (mount a volume there), the key comes from
# FEATHER_API_KEY (or is generated into /data/memory.feather.key on the first start and printed once).
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npx -y pnpm@10.34.8 install --frozen-lockfile --filter feather-monorepo --filter "@feather-db/serve..." \
 && npx -y pnpm@10.34.8 exec turbo run build --filter "@feather-db/serve..." \
 && mkdir -p /data && chown node:node /data
USER node
ENV FEATHER_HOST=0.0.0.0 FEATHER_PORT=7700 FEATHER_EMBED_PROVIDER=local
EXPOSE 7700
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:7700/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM (docker stop) finishes requests in flight and saves the store before exiting.
CMD ["node", "packages/serve/dist/bin/feather-serve.js", "/data/memory.feather"]
