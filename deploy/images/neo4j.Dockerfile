# Neo4j Community on Debian's Java 17, from the jars `make backends-install` fetches from Maven Central.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.somnia.built-by="make images"
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin neo4j
COPY lib /opt/neo4j/lib
COPY neo4j-start /usr/local/bin/neo4j-start
ENV NEO4J_HOME=/opt/neo4j
USER 10001:10001
VOLUME ["/data"]
EXPOSE 7687 7474
ENTRYPOINT ["tini", "--", "neo4j-start"]
