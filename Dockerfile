# brokerload's container image: built on Debian 13 (trixie) with its client libraries
# (librdkafka 2.8.0, which authenticates to Kafka 4.x with SCRAM; cnats 3.10.1), the same
# packages' names as scripts/install-deps.sh installs from Debian 12 for development; the runtime
# stage holds only the binary and its shared libraries. tests/trixie builds and tests this
# library set outside the image too.
#   docker build -t brokerload .
#   docker run -p 9464:9464 -v $PWD/config/brokerload.yaml:/etc/brokerload/brokerload.yaml:ro brokerload
# Probes: GET /healthz (liveness) and /readyz (readiness) on the metrics port, 9464.
FROM debian:trixie-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build pkg-config \
      librdkafka-dev libnats-dev prometheus-cpp-dev libyaml-cpp-dev libboost-dev \
      nlohmann-json3-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY service service
# RelWithDebInfo (-O2), as the release preset that the benchmarks used; stripped below.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROKERLOAD_BUILD_TESTS=OFF \
 && cmake --build /build --target brokerload \
 && strip /build/service/brokerload

FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libnats3.10 libprometheus-cpp-core1.0 \
      libyaml-cpp0.8 libssl3t64 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin brokerload
COPY --from=build /build/service/brokerload /usr/local/bin/brokerload
COPY config/brokerload.yaml /etc/brokerload/brokerload.yaml
USER 10001
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/brokerload"]
CMD ["run", "--config", "/etc/brokerload/brokerload.yaml"]
