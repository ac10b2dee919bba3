package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import java.time.Duration;

/**
 * Network listener.
 *
 * @param host address to bind ({@code 0.0.0.0} for all interfaces)
 * @param port TCP port, 0 picks a free one
 * @param ioThreads event loops serving connections; 0 means one per available processor
 * @param nodeId this node's name in {@code welcome} and connection ids; empty means generated
 * @param readTimeout deadline for a complete HTTP request (API calls) once its first byte arrived
 * @param idleTimeout an HTTP keep-alive connection idle this long is closed (WebSockets excluded)
 * @param maxRequestBytes largest HTTP request body the API accepts
 */
public record Server(String host, int port, int ioThreads, String nodeId, Duration readTimeout,
                     Duration idleTimeout, int maxRequestBytes) {

    public Server {
        Check.notBlank("server.host", host);
        Check.range("server.port", port, 0, 65535);
        Check.range("server.ioThreads", ioThreads, 0, 1024);
        Check.notNull("server.nodeId", nodeId);
        if (!nodeId.isEmpty() && !nodeId.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new ConfigException("server.nodeId", nodeId, "must match [A-Za-z0-9_.-]{1,32}");
        }
        Check.positive("server.readTimeout", readTimeout);
        Check.positive("server.idleTimeout", idleTimeout);
        Check.range("server.maxRequestBytes", maxRequestBytes, 1024, 16 * 1024 * 1024);
    }

    /** The documented defaults. */
    public static Server defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().host(host).port(port).ioThreads(ioThreads).nodeId(nodeId).readTimeout(readTimeout)
                .idleTimeout(idleTimeout).maxRequestBytes(maxRequestBytes);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8080;
        private int ioThreads;
        private String nodeId = "";
        private Duration readTimeout = Duration.ofSeconds(15);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private int maxRequestBytes = 1024 * 1024;

        private Builder() {
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder ioThreads(int value) {
            ioThreads = value;
            return this;
        }

        public Builder nodeId(String value) {
            nodeId = value;
            return this;
        }

        public Builder readTimeout(Duration value) {
            readTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder maxRequestBytes(int value) {
            maxRequestBytes = value;
            return this;
        }

        public Server build() {
            return new Server(host, port, ioThreads, nodeId, readTimeout, idleTimeout, maxRequestBytes);
        }
    }
}
