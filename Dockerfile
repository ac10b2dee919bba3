# syntax=docker/dockerfile:1
# Switchboard node image: build the CLI jar with the Maven wrapper, run it on a JRE as a non-root user.
# Not built or run on the project's machines (no container engine there): DeploymentFilesTest checks
# that the build stage gets every module, and that this file names the server's default port and health
# path; see docs/operations.md.

FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
# The whole reactor (every module the root pom lists must be there), less what .dockerignore leaves out.
# -DskipTests, not -Dmaven.test.skip: the adapters compile against core's test jar. The image needs no
# javadoc or sources jars (published modules make them). DockerfileReplayTest replays this stage.
COPY . .
RUN ./mvnw -q -B -DskipTests -DskipAutobahn -Dmaven.javadoc.skip -Dmaven.source.skip -pl cli -am package

FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 switchboard \
    && useradd --system --uid 10001 --gid switchboard --home-dir /opt/switchboard --shell /usr/sbin/nologin switchboard
WORKDIR /opt/switchboard
COPY --from=build /src/cli/target/switchboard.jar /opt/switchboard/switchboard.jar
USER 10001:10001
EXPOSE 8080
ENV SWITCHBOARD_JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
# The launcher's malloc settings (bin/switchboard says why); DeploymentFilesTest keeps them the same.
ENV GLIBC_TUNABLES="glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=268435456"
# bash's /dev/tcp instead of curl, which JRE base images need not carry.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains (server_shutdown + close 1012 over shutdown.drainTimeout) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sh", "-c", "exec java $SWITCHBOARD_JAVA_OPTS -jar /opt/switchboard/switchboard.jar \"$@\"", "switchboard"]
CMD ["serve", "--log-format", "json"]
