package io.switchboard.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.server.config.SwitchboardConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Tracing is built only when asked for, and its metrics wrapper loses no metric. */
class ObservabilityTest {
    @Test
    void withoutAnEndpointOrAnInjectedOpenTelemetryThereIsNoTracing() {
        Observability off = new Observability(SwitchboardConfig.defaults(), Instrumentation.defaults(), "test");
        try {
            assertThat(off.tracingEnabled()).isFalse();
            assertThat(off.hubMetrics()).isInstanceOf(MicrometerHubMetrics.class);
        } finally {
            off.close();
        }
        io.switchboard.server.config.Tracing on = new io.switchboard.server.config.Tracing("http://127.0.0.1:4318/v1/traces", "sb", 100);
        Tracing tracing = Tracing.create(on, null, "test");
        assertThat(tracing).isNotNull();
        tracing.close();
        assertThat(Tracing.create(io.switchboard.server.config.Tracing.defaults(), null, "test")).isNull();
    }

    /**
     * The wrapper must forward every metric, the default methods included: one it leaves out is silently
     * lost whenever tracing is on (the broker publish latency was, until this test).
     */
    @Test
    void theTracingWrapperForwardsEveryMetric() throws Exception {
        Set<String> reached = new TreeSet<>();
        HubMetrics recording = (HubMetrics) Proxy.newProxyInstance(HubMetrics.class.getClassLoader(),
                new Class<?>[] {HubMetrics.class}, (proxy, method, args) -> {
                    reached.add(method.getName());
                    return null;
                });
        Tracing tracing = Tracing.create(io.switchboard.server.config.Tracing.defaults(), OpenTelemetry.noop(), "test");
        HubMetrics wrapped = tracing.wrap(recording);
        Set<String> all = new TreeSet<>();
        for (Method m : HubMetrics.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            all.add(m.getName());
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                args[i] = types[i] == long.class ? 0L : types[i] == int.class ? 0
                        : types[i] == boolean.class ? Boolean.TRUE
                        : types[i].isEnum() ? types[i].getEnumConstants()[0] : null;
            }
            try {
                m.invoke(wrapped, args);
            } catch (InvocationTargetException e) {
                // The span of commandProcessed needs a real connection; the delegate was called before it.
            }
        }
        tracing.close();
        assertThat(all).contains("fanoutFlushed", "brokerPublished", "commandProcessed");
        assertThat(reached).isEqualTo(all);
    }}
