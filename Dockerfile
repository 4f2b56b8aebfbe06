# One image for the docker-compose demo: cc-connector and cc-mock-api built on Debian 12.
#   docker compose up --build

# ---- build stage: the -dev packages from scripts/install-deps.sh, then the two programs
FROM debian:bookworm AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
# CMakeLists.txt configures tests/ too, so it is copied although only the programs are built.
COPY CMakeLists.txt /src/
COPY connector /src/connector
COPY sql /src/sql
COPY tests /src/tests
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j "$(nproc)" --target cc-connector cc-mock-api \
 && strip /build/cc-connector /build/cc-mock-api

# ---- runtime stage: the shared libraries the two programs link, plus curl for health checks
FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpqxx-6.4 libpq5 libcurl4 libspdlog1.10 libfmt9 libtomlplusplus3 libphonenumber8 \
      libdate-tz3 libcpp-httplib0.11 tzdata ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/cc --create-home cc
COPY --from=build /build/cc-connector /build/cc-mock-api /usr/local/bin/
COPY mappings /etc/cc-connector/mappings
COPY docker/connector.toml /etc/cc-connector/connector.toml
COPY docker/connector-entrypoint.sh /usr/local/bin/connector-entrypoint.sh
USER cc
WORKDIR /var/lib/cc
CMD ["connector-entrypoint.sh"]
