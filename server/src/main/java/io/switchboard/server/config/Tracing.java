package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;

/**
 * OpenTelemetry tracing.
 *
 * @param endpoint OTLP/HTTP traces endpoint (e.g. {@code http://collector:4318/v1/traces}); empty turns
 *     tracing off, at no cost
 * @param serviceName the {@code service.name} resource attribute of exported spans
 * @param samplePercent share of new traces recorded (upgrades without a sampled parent)
 */
public record Tracing(String endpoint, String serviceName, int samplePercent) {

    public Tracing {
        Check.notNull("tracing.endpoint", endpoint);
        if (!endpoint.isEmpty() && !endpoint.matches("https?://.+")) {
            throw new ConfigException("tracing.endpoint", endpoint, "must be an http:// or https:// URL");
        }
        Check.notBlank("tracing.serviceName", serviceName);
        Check.range("tracing.samplePercent", samplePercent, 0, 100);
    }

    /** Whether spans are recorded and exported. */
    public boolean enabled() {
        return !endpoint.isEmpty();
    }

    /** The documented defaults. */
    public static Tracing defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().endpoint(endpoint).serviceName(serviceName).samplePercent(samplePercent);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String endpoint = "";
        private String serviceName = "switchboard";
        private int samplePercent = 100;

        private Builder() {
        }

        public Builder endpoint(String value) {
            endpoint = value;
            return this;
        }

        public Builder serviceName(String value) {
            serviceName = value;
            return this;
        }

        public Builder samplePercent(int value) {
            samplePercent = value;
            return this;
        }

        public Tracing build() {
            return new Tracing(endpoint, serviceName, samplePercent);
        }
    }
}
