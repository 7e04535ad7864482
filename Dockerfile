# syntax=docker/dockerfile:1
# Gleaner container: build with `docker build -t gleaner .`, run with
#   docker run -v $PWD/config:/app/config:ro -v gleaner-data:/app/data -v $PWD/feeds:/app/feeds -p 8080:8080 gleaner
# (set `bind = "0.0.0.0:8080"` under [server] in the mounted config to reach it from outside).

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependency layer: built from the manifest alone, so it is cached until Cargo.toml/Cargo.lock change.
# .cargo/config.toml carries jemalloc's build-time options.
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
# Touch so cargo rebuilds our crate over the placeholder from the dependency layer.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked && strip target/release/gleaner

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin gleaner \
    && mkdir -p /app/config /app/data /app/feeds \
    && chown -R gleaner:gleaner /app/data /app/feeds
COPY --from=build /src/target/release/gleaner /usr/local/bin/gleaner
COPY config /app/config
WORKDIR /app
USER gleaner
VOLUME ["/app/data", "/app/feeds"]
EXPOSE 8080
ENV GLEANER_CONFIG=/app/config/gleaner.toml RUST_LOG=info
# `gleaner healthcheck` GETs /healthz on loopback (the port of `[server] bind`) with a 3 s
# timeout: unhealthy when the store stops taking writes or the scheduler loop stalls.
# The start period covers opening and migrating a large store.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["gleaner", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "gleaner"]
CMD ["serve"]
