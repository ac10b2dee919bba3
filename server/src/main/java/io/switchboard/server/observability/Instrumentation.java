package io.switchboard.server.observability;

import io.opentelemetry.api.OpenTelemetry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a server is observed with beyond its configuration: extra {@code /health} checks (brokers,
 * stores, or a failing one in a test), an OpenTelemetry instance to trace with instead of the one
 * {@code tracing.endpoint} would build, and, for tests and embedding, what replaces the command handler
 * for whole inbound messages ({@link InboundMessages}; the conformance run's echo). None of these can be
 * set from configuration. Immutable.
 */
public final class Instrumentation {
    private static final Instrumentation DEFAULT = new Instrumentation(Map.of(), null, null);

    private final Map<String, HealthCheck> healthChecks;
    private final OpenTelemetry openTelemetry;
    /** Null: the production command handler and binary ops. */
    private final InboundMessages inboundMessages;

    private Instrumentation(Map<String, HealthCheck> healthChecks, OpenTelemetry openTelemetry,
                            InboundMessages inboundMessages) {
        this.healthChecks = healthChecks;
        this.openTelemetry = openTelemetry;
        this.inboundMessages = inboundMessages;
    }

    /** Nothing beyond the configuration. */
    public static Instrumentation defaults() {
        return DEFAULT;
    }

    /** This plus a named {@code /health} check, run after the built-in ones. */
    public Instrumentation withHealthCheck(String name, HealthCheck check) {
        Map<String, HealthCheck> checks = new LinkedHashMap<>(healthChecks);
        checks.put(name, check);
        return new Instrumentation(java.util.Collections.unmodifiableMap(checks), openTelemetry, inboundMessages);
    }

    /** This, tracing with {@code otel} whatever {@code tracing.endpoint} says. */
    public Instrumentation withOpenTelemetry(OpenTelemetry otel) {
        return new Instrumentation(healthChecks, otel, inboundMessages);
    }

    /**
     * This, with every complete inbound text or binary message of every WebSocket connection handed to
     * {@code messages} instead of the command handler and the binary ops; everything in front of it stays
     * the production path.
     */
    public Instrumentation withInboundMessages(InboundMessages messages) {
        return new Instrumentation(healthChecks, openTelemetry, java.util.Objects.requireNonNull(messages));
    }

    /** What replaces the command handler for whole messages, or null for the command handler. */
    public InboundMessages inboundMessages() {
        return inboundMessages;
    }

    public Map<String, HealthCheck> healthChecks() {
        return healthChecks;
    }

    OpenTelemetry openTelemetry() {
        return openTelemetry;
    }
}
