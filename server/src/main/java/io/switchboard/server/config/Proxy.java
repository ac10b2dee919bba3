package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * Proxies to the backend: URLs Switchboard asks before a connection is accepted, a room joined or a message
 * published, and that answers clients' {@code rpc} commands. Every call runs off the event loops under
 * {@code timeout}, at most {@code maxPending} at once per URL, behind a circuit breaker.
 *
 * @param connect asked before an upgrade completes; its answer names the user and the rooms (replacing a JWT); empty: off
 * @param subscribe asked before a client joins a room; empty: off
 * @param publish asked before a client's room message is published; it may replace the payload; empty: off
 * @param rpc answers clients' {@code rpc} commands; empty: the command is refused
 * @param timeout deadline of one call; a call that misses it gives the client {@code unavailable}
 * @param headers upgrade request headers forwarded to the connect proxy
 * @param maxPending calls in flight per URL; beyond, clients get {@code unavailable} at once
 */
public record Proxy(String connect, String subscribe, String publish, String rpc, Duration timeout,
                    List<String> headers, int maxPending) {

    public Proxy {
        Check.notNull("proxy.headers", headers);
        headers = List.copyOf(headers);
        checkUrl("proxy.connect", connect);
        checkUrl("proxy.subscribe", subscribe);
        checkUrl("proxy.publish", publish);
        checkUrl("proxy.rpc", rpc);
        Check.range("proxy.timeout", timeout, Duration.ofMillis(10), Duration.ofMinutes(1));
        Check.range("proxy.maxPending", maxPending, 1, 1_000_000);
        for (String h : headers) {
            if (!h.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new ConfigException("proxy.headers", h, "must each be an HTTP header name");
            }
        }
    }

    private static void checkUrl(String key, String url) {
        Check.notNull(key, url);
        if (!url.isEmpty()) {
            Hooks.checkUrl(key, url);
        }
    }

    /** The documented defaults. */
    public static Proxy defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().connect(connect).subscribe(subscribe).publish(publish).rpc(rpc).timeout(timeout)
                .headers(headers).maxPending(maxPending);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String connect = "";
        private String subscribe = "";
        private String publish = "";
        private String rpc = "";
        private Duration timeout = Duration.ofSeconds(1);
        private List<String> headers = List.of("Cookie", "Authorization");
        private int maxPending = 1000;

        private Builder() {
        }

        public Builder connect(String value) {
            connect = value;
            return this;
        }

        public Builder subscribe(String value) {
            subscribe = value;
            return this;
        }

        public Builder publish(String value) {
            publish = value;
            return this;
        }

        public Builder rpc(String value) {
            rpc = value;
            return this;
        }

        public Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Builder headers(List<String> value) {
            headers = value;
            return this;
        }

        public Builder maxPending(int value) {
            maxPending = value;
            return this;
        }

        public Proxy build() {
            return new Proxy(connect, subscribe, publish, rpc, timeout, headers, maxPending);
        }
    }
}
