package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;

/**
 * Metrics endpoint.
 *
 * @param enabled record metrics and serve them in the Prometheus text format; false records nothing
 * @param port separate port for metrics, health and readiness (loopback-only setups, scrapers on
 *     another network); 0 means the server port
 * @param metricsPath path of the Prometheus endpoint
 */
public record Monitoring(boolean enabled, int port, String metricsPath) {

    public Monitoring {
        Check.range("monitoring.port", port, 0, 65535);
        Check.notNull("monitoring.metricsPath", metricsPath);
        if (!metricsPath.startsWith("/")) {
            throw new ConfigException("monitoring.metricsPath", metricsPath, "must start with /");
        }
    }

    /** The documented defaults. */
    public static Monitoring defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().enabled(enabled).port(port).metricsPath(metricsPath);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private boolean enabled = true;
        private int port;
        private String metricsPath = "/metrics";

        private Builder() {
        }

        public Builder enabled(boolean value) {
            enabled = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder metricsPath(String value) {
            metricsPath = value;
            return this;
        }

        public Monitoring build() {
            return new Monitoring(enabled, port, metricsPath);
        }
    }
}
