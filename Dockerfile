# offboard: multi-stage build of a static binary, run as a non-root user.
#   docker build --build-arg VERSION=1.0.0 -t offboard .
#   docker run -p 8080:8080 -v offboard-data:/data \
#     -v "$PWD/offboard.yaml:/etc/offboard/offboard.yaml:ro" offboard
# In the mounted config set store.path: /data/offboard.db,
# http.listen: 0.0.0.0:8080 (the example binds to loopback) and
# http.public_url or http.allowed_hosts (the names clients use; any other
# Host header gets 421). The HEALTHCHECK probes 127.0.0.1, always allowed.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/offboard-dev/offboard.Version=${VERSION}" \
      -o /out/offboard ./cmd/offboard
# A user for the runtime image (scratch has no useradd) and its data dir.
RUN echo 'offboard:x:10001:10001:offboard:/data:/sbin/nologin' > /out/passwd \
 && echo 'offboard:x:10001:' > /out/group \
 && mkdir -p /out/data && chown 10001:10001 /out/data && chmod 700 /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build --chown=10001:10001 /out/data /data
COPY --from=build /out/offboard /usr/local/bin/offboard
COPY config.example.yaml /etc/offboard/offboard.yaml
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
ENV OFFBOARD_CONFIG=/etc/offboard/offboard.yaml
EXPOSE 8080
# scratch has no curl: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/offboard", "health"]
ENTRYPOINT ["/usr/local/bin/offboard"]
CMD ["serve"]
