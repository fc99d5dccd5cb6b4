# Builds the `ticketmesh` binary and ships it in a slim runtime image (used by docker-compose.yml).
ARG SWIFT_IMAGE=swift:6.3-noble
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Package.resolved* ./
COPY Sources Sources
COPY Tests Tests
RUN swift build -c release --product ticketmesh --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/ticketmesh" /usr/local/bin/ticketmesh

FROM ubuntu:noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/ticketmesh /usr/local/bin/ticketmesh
ENV TICKETMESH_DATA=/data
VOLUME /data
ENTRYPOINT ["ticketmesh"]
