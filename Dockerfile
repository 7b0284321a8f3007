# Promethium's container image, laid out as users of prom/prometheus expect: the server as the
# entrypoint with Prometheus's default flags as the command (so `docker run IMAGE --flag ...`
# replaces them), the config at /etc/prometheus/prometheus.yml, the data volume at /prometheus,
# port 9090, a non-root user.
#
#   docker build -t promethium .
#   docker run -p 9090:9090 -v promethium-data:/prometheus promethium

# Build: the native addon (Rust) and the TypeScript and UI bundles (Node). Both toolchains on Debian
# bookworm, the same glibc as the runtime stage.
FROM node:22-bookworm AS build
COPY --from=rust:1-bookworm /usr/local/cargo /usr/local/cargo
COPY --from=rust:1-bookworm /usr/local/rustup /usr/local/rustup
ENV CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup PATH=/usr/local/cargo/bin:$PATH
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# The runtime dependencies only, without build scripts.
FROM node:22-bookworm-slim AS deps
WORKDIR /opt/promethium
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:22-bookworm-slim
WORKDIR /opt/promethium
COPY --from=deps /opt/promethium/node_modules ./node_modules
COPY package.json README.md ./
COPY bin ./bin
COPY examples/walkthrough ./examples/walkthrough
COPY --from=build /src/dist ./dist
# The addon the loader falls back to when no @promethium/native-* package is installed.
COPY --from=build /src/native/*.node ./native/
COPY examples/docker/prometheus.yml /etc/prometheus/prometheus.yml
RUN ln -s /opt/promethium/bin/promethium.js /usr/local/bin/promethium \
 && mkdir -p /prometheus && chown -R nobody:nogroup /prometheus /etc/prometheus
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus
ENTRYPOINT ["promethium", "server"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
