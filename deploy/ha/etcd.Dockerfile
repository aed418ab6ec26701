# etcd for deploy/ha/docker-compose.yaml, built from source at the version
# offboard's tests run against (go.etcd.io/etcd/server/v3 in go.mod), as
# static binaries in an empty image that runs as a non-root user: etcd, and
# etcdctl for snapshots (README: "High availability"). Building takes a
# few minutes; the repository names no image registry.
#
# An organisation that already runs etcd, or has its own vetted etcd image,
# uses that instead: set the etcd services' image: and drop their build:.
# What offboard needs of the members is in the compose file's flags
# (--max-txn-ops=1024 above all; README: "Store backends").
#
# Build context: the repository root (for go.mod and go.sum).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
ARG ETCD_VERSION=v3.7.3
RUN go get go.etcd.io/etcd/server/v3/etcdmain@${ETCD_VERSION} go.etcd.io/etcd/etcdctl/v3@${ETCD_VERSION} \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/etcd go.etcd.io/etcd/server/v3 \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/etcdctl go.etcd.io/etcd/etcdctl/v3
# A user, a data directory (mode 0700, which etcd insists on) and one for
# snapshots for the runtime image: scratch has no useradd or mkdir. A
# named volume mounted on /var/lib/etcd starts as a copy of it, owned by
# that user.
RUN echo 'etcd:x:10002:10002:etcd:/var/lib/etcd:/sbin/nologin' > /out/passwd \
 && echo 'etcd:x:10002:' > /out/group \
 && mkdir -p /out/data /out/snapshots && chown 10002:10002 /out/data /out/snapshots && chmod 700 /out/data /out/snapshots

FROM scratch
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build --chown=10002:10002 /out/data /var/lib/etcd
COPY --from=build --chown=10002:10002 /out/snapshots /snapshots
COPY --from=build /out/etcd /out/etcdctl /usr/local/bin/
USER 10002:10002
VOLUME ["/var/lib/etcd"]
# 2379: clients (offboard); 2380: the members' own traffic.
EXPOSE 2379 2380
ENTRYPOINT ["/usr/local/bin/etcd"]
