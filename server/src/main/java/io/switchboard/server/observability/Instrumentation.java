package io.switchboard.server.observability;

import io.opentelemetry.api.OpenTelemetry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a server is observed with beyond its configuration: extra {@code /health} checks (brokers,
 * stores, or a failing one in a test) and an OpenTelemetry instance to trace with instead of the one
 * {@code tracing.endpoint} would build. Immutable.
 */
public final class Instrumentation {
    private static final Instrumentation DEFAULT = new Instrumentation(Map.of(), null);

    private final Map<String, HealthCheck> healthChecks;
    private final OpenTelemetry openTelemetry;

    private Instrumentation(Map<String, HealthCheck> healthChecks, OpenTelemetry openTelemetry) {
        this.healthChecks = healthChecks;
        this.openTelemetry = openTelemetry;
    }

    /** Nothing beyond the configuration. */
    public static Instrumentation defaults() {
        return DEFAULT;
    }

    /** This plus a named {@code /health} check, run after the built-in ones. */
    public Instrumentation withHealthCheck(String name, HealthCheck check) {
        Map<String, HealthCheck> checks = new LinkedHashMap<>(healthChecks);
        checks.put(name, check);
        return new Instrumentation(java.util.Collections.unmodifiableMap(checks), openTelemetry);
    }

    /** This, tracing with {@code otel} whatever {@code tracing.endpoint} says. */
    public Instrumentation withOpenTelemetry(OpenTelemetry otel) {
        return new Instrumentation(healthChecks, otel);
    }

    public Map<String, HealthCheck> healthChecks() {
        return healthChecks;
    }

    OpenTelemetry openTelemetry() {
        return openTelemetry;
    }
}
