# Jaeger v2 (an OpenTelemetry Collector build with a trace store and query UI), from the binary
# `make backends-install` builds from its Go module. With no arguments it is an all-in-one trace backend
# (OTLP on 4317/4318, the query API on 16686, traces in memory); with `--config FILE`, any collector.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.somnia.built-by="make images"
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin jaeger
COPY jaeger /usr/local/bin/jaeger
USER 10001:10001
EXPOSE 4317 4318 16686
ENTRYPOINT ["tini", "--", "jaeger"]
