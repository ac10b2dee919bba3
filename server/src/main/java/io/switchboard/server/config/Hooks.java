package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import io.switchboard.core.hooks.LifecycleEvent;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Lifecycle webhooks: connections and rooms coming and going, posted to the backend in signed batches,
 * at least once and in order.
 *
 * @param url where event batches are posted ({@code http://} or {@code https://}); empty turns webhooks off
 * @param secret HMAC-SHA256 key of the {@code X-Switchboard-Signature} header; required with a url, at least 16 characters
 * @param events the event types sent: connect, disconnect, join, leave, occupied, vacated, publish
 * @param batchMaxEvents most events in one request
 * @param batchMaxDelay longest an event waits for others to share its request
 * @param timeout deadline of one request; a request that misses it is retried
 * @param maxQueued events held while the backend is slow or down; beyond it the oldest are dropped and counted
 *     (with a spool, on disk too)
 * @param spoolDir directory where events are written before they count as queued, so that those the backend has
 *     not acknowledged are sent again after a restart or a crash; one node per directory (it is locked); empty:
 *     events wait in memory only and die with the process
 */
public record Hooks(String url, @Secret String secret, List<String> events, int batchMaxEvents,
                    Duration batchMaxDelay, Duration timeout, int maxQueued, String spoolDir) {
    private static final List<String> EVENT_NAMES = Arrays.stream(LifecycleEvent.Type.values())
            .map(LifecycleEvent.Type::wireName).toList();

    public Hooks {
        Check.notNull("hooks.url", url);
        Check.notNull("hooks.secret", secret);
        Check.notNull("hooks.events", events);
        events = List.copyOf(events);
        if (!url.isEmpty()) {
            checkUrl("hooks.url", url);
            if (secret.length() < 16) {
                throw new ConfigException("hooks.secret", Check.HIDDEN,
                        "must have at least 16 characters when hooks.url is set (it has " + secret.length() + ")");
            }
        }
        for (String event : events) {
            Check.oneOf("hooks.events", event, EVENT_NAMES);
        }
        Check.range("hooks.batchMaxEvents", batchMaxEvents, 1, 10_000);
        Check.range("hooks.batchMaxDelay", batchMaxDelay, Duration.ZERO, Duration.ofSeconds(10));
        Check.range("hooks.timeout", timeout, Duration.ofMillis(10), Duration.ofMinutes(1));
        Check.range("hooks.maxQueued", maxQueued, batchMaxEvents, 10_000_000);
        Check.notNull("hooks.spoolDir", spoolDir);
        if (!spoolDir.isEmpty()) {
            checkDirectory("hooks.spoolDir", spoolDir);
        }
    }

    /**
     * A path the file system can name, without surrounding spaces (a quoting slip that would make a directory
     * nobody meant), or a {@link ConfigException} naming {@code key}. Whether it can be created and locked is
     * checked when the node starts.
     */
    private static void checkDirectory(String key, String dir) {
        if (!dir.strip().equals(dir)) {
            throw new ConfigException(key, dir, "must be a directory path without leading or trailing spaces");
        }
        try {
            Path.of(dir);
        } catch (InvalidPathException e) {
            throw new ConfigException(key, dir, "must be a valid directory path (" + e.getReason() + ")");
        }
    }

    /** An absolute {@code http} or {@code https} URL, or a {@link ConfigException} naming {@code key}. */
    static void checkUrl(String key, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(key, url, "must be an http:// or https:// URL");
        }
        if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new ConfigException(key, url, "must be an http:// or https:// URL");
        }
    }

    /** True when a url is set. */
    public boolean enabled() {
        return !url.isEmpty();
    }

    /** Hides the secret: a config printed in a log must not leak it. */
    @Override
    public String toString() {
        return "Hooks[url=" + url + ", secret=(" + Check.HIDDEN + "), events=" + events + ", batchMaxEvents="
                + batchMaxEvents + ", batchMaxDelay=" + Check.format(batchMaxDelay) + ", timeout="
                + Check.format(timeout) + ", maxQueued=" + maxQueued + ", spoolDir=" + spoolDir + "]";
    }

    /** The documented defaults. */
    public static Hooks defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().url(url).secret(secret).events(events).batchMaxEvents(batchMaxEvents)
                .batchMaxDelay(batchMaxDelay).timeout(timeout).maxQueued(maxQueued).spoolDir(spoolDir);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String url = "";
        private String secret = "";
        private List<String> events = List.of("connect", "disconnect", "join", "leave", "occupied", "vacated");
        private int batchMaxEvents = 100;
        private Duration batchMaxDelay = Duration.ofMillis(100);
        private Duration timeout = Duration.ofSeconds(2);
        private int maxQueued = 100_000;
        private String spoolDir = "";

        private Builder() {
        }

        public Builder url(String value) {
            url = value;
            return this;
        }

        public Builder secret(String value) {
            secret = value;
            return this;
        }

        public Builder events(List<String> value) {
            events = value;
            return this;
        }

        public Builder batchMaxEvents(int value) {
            batchMaxEvents = value;
            return this;
        }

        public Builder batchMaxDelay(Duration value) {
            batchMaxDelay = value;
            return this;
        }

        public Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Builder maxQueued(int value) {
            maxQueued = value;
            return this;
        }

        public Builder spoolDir(String value) {
            spoolDir = value;
            return this;
        }

        public Hooks build() {
            return new Hooks(url, secret, events, batchMaxEvents, batchMaxDelay, timeout, maxQueued, spoolDir);
        }
    }
}
