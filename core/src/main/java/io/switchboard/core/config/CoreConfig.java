package io.switchboard.core.config;

import java.util.Map;
import java.util.Objects;

/**
 * The sections core reads: what a {@code Hub}, its engine and the command handler are configured with.
 * The server's whole configuration ({@code io.switchboard.server.config.SwitchboardConfig}) holds these
 * and hands them over with its {@code core()}; core never sees the server's or the adapters' sections.
 * Immutable; each section validated at construction.
 *
 * @param websocket heartbeats, rooms per connection, invalid commands and message size
 * @param hub fan-out, flushing and room size
 * @param history the window kept per room
 * @param security token verification, rate and broadcast limits
 * @param cluster deadlines of backend calls, gap and tail checks
 * @param namespaces room options by namespace
 * @param presence member lists of joins, and batched joins and leaves in large rooms
 */
public record CoreConfig(WebSocket websocket, Hub hub, History history, Security security, Cluster cluster,
                         Map<String, Namespace> namespaces, Presence presence) {

    public CoreConfig {
        Objects.requireNonNull(websocket, "websocket");
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(namespaces, "namespaces");
        namespaces = Map.copyOf(namespaces);
        Namespace.check(namespaces, history, hub);
        Objects.requireNonNull(presence, "presence");
    }

    /** Every section at its documented defaults. */
    public static CoreConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().websocket(websocket).hub(hub).history(history).security(security).cluster(cluster)
                .namespaces(namespaces).presence(presence);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private WebSocket websocket = WebSocket.defaults();
        private Hub hub = Hub.defaults();
        private History history = History.defaults();
        private Security security = Security.defaults();
        private Cluster cluster = Cluster.defaults();
        private Map<String, Namespace> namespaces = Map.of();
        private Presence presence = Presence.defaults();

        private Builder() {
        }

        public Builder websocket(WebSocket value) {
            websocket = value;
            return this;
        }

        public Builder hub(Hub value) {
            hub = value;
            return this;
        }

        public Builder history(History value) {
            history = value;
            return this;
        }

        public Builder security(Security value) {
            security = value;
            return this;
        }

        public Builder cluster(Cluster value) {
            cluster = value;
            return this;
        }

        public Builder namespaces(Map<String, Namespace> value) {
            namespaces = value;
            return this;
        }

        public Builder presence(Presence value) {
            presence = value;
            return this;
        }

        public CoreConfig build() {
            return new CoreConfig(websocket, hub, history, security, cluster, namespaces, presence);
        }
    }
}
