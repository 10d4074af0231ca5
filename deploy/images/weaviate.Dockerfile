# Weaviate, from the binary `make backends-install` builds from its Go module at the pinned tag.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.somnia.built-by="make images"
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin weaviate
COPY weaviate-server /usr/local/bin/weaviate-server
# No vectorizer modules (Somnia sends its own vectors), no telemetry, a single-node Raft cluster, and
# the classic BM25 index: BlockMax WAND, 1.36's default, missed most keyword matches (docs/backends.md).
# Authentication is left to the deployment: set AUTHENTICATION_APIKEY_* (docs/deploy.md).
ENV PERSISTENCE_DATA_PATH=/data \
    DEFAULT_VECTORIZER_MODULE=none \
    ENABLE_MODULES="" \
    AUTOSCHEMA_ENABLED=false \
    DISABLE_TELEMETRY=true \
    USE_INVERTED_SEARCHABLE=false \
    GO_PROFILING_DISABLE=true \
    CLUSTER_HOSTNAME=node1 \
    RAFT_JOIN=node1:8301 \
    RAFT_BOOTSTRAP_EXPECT=1 \
    GRPC_PORT=50051
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080 50051
ENTRYPOINT ["tini", "--", "weaviate-server", "--host", "0.0.0.0", "--port", "8080", "--scheme", "http"]
