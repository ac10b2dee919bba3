package io.switchboard.server.config;

import io.switchboard.core.config.Cluster;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.config.History;
import io.switchboard.core.config.Hub;
import io.switchboard.core.config.Namespace;
import io.switchboard.core.config.Presence;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.nats.NatsSettings;
import io.switchboard.redis.RedisSettings;
import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration of a node: one section record per component, each immutable and validated at
 * construction. Values come from the defaults, overridden by a YAML file, then environment variables, then
 * command-line flags ({@link ConfigLoader}); every key is listed in {@code docs/configuration.md} with its
 * default. It lives in the server because only the server knows every module: core reads {@link #core()},
 * each adapter its own settings record, the server the rest.
 *
 * <p>The components are the sections and their order is the order of the docs. A validation failure throws
 * {@code ConfigException} naming the key, the value and the rule.
 *
 * @param server network listener
 * @param websocket WebSocket endpoint, heartbeats and per-connection limits
 * @param hub hub behaviour
 * @param history room history
 * @param presence member lists and join/leave batching in large rooms
 * @param shutdown graceful shutdown
 * @param api backend HTTP API
 * @param redis the Redis adapter's connection
 * @param monitoring metrics endpoint
 * @param security authentication, origins, TLS and abuse limits
 * @param tracing OpenTelemetry tracing
 * @param cluster scale-out backends and their deadlines
 * @param nats the NATS adapter's connection
 * @param hooks lifecycle webhooks to the backend
 * @param proxy calls to the backend before connects, joins and client messages, and for {@code rpc}
 * @param admin the admin console
 * @param namespaces room options by namespace, the part of a room's name before the first {@code :}
 */
public record SwitchboardConfig(
        Server server,
        WebSocket websocket,
        Hub hub,
        History history,
        Presence presence,
        Shutdown shutdown,
        Api api,
        RedisSettings redis,
        Monitoring monitoring,
        Security security,
        Tracing tracing,
        Cluster cluster,
        NatsSettings nats,
        Hooks hooks,
        Proxy proxy,
        Admin admin,
        Map<String, Namespace> namespaces) {

    public SwitchboardConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(websocket, "websocket");
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(presence, "presence");
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(monitoring, "monitoring");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(nats, "nats");
        Objects.requireNonNull(hooks, "hooks");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(namespaces, "namespaces");
        namespaces = Map.copyOf(namespaces);
        Namespace.check(namespaces, history, hub);
    }

    /** The sections core reads, for the {@code Hub}. */
    public CoreConfig core() {
        return new CoreConfig(websocket, hub, history, security, cluster, namespaces, presence);
    }

    /** The documented defaults: what {@code switchboard serve} runs with when nothing is configured. */
    public static SwitchboardConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().server(server).websocket(websocket).hub(hub).history(history).presence(presence)
                .shutdown(shutdown)
                .api(api).redis(redis).monitoring(monitoring).security(security).tracing(tracing).cluster(cluster)
                .nats(nats).hooks(hooks).proxy(proxy).admin(admin).namespaces(namespaces);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private Server server = Server.defaults();
        private WebSocket websocket = WebSocket.defaults();
        private Hub hub = Hub.defaults();
        private History history = History.defaults();
        private Presence presence = Presence.defaults();
        private Shutdown shutdown = Shutdown.defaults();
        private Api api = Api.defaults();
        private RedisSettings redis = RedisSettings.defaults();
        private Monitoring monitoring = Monitoring.defaults();
        private Security security = Security.defaults();
        private Tracing tracing = Tracing.defaults();
        private Cluster cluster = Cluster.defaults();
        private NatsSettings nats = NatsSettings.builder().build();
        private Hooks hooks = Hooks.defaults();
        private Proxy proxy = Proxy.defaults();
        private Admin admin = Admin.defaults();
        private Map<String, Namespace> namespaces = Map.of();

        private Builder() {
        }

        public Builder server(Server value) {
            server = value;
            return this;
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

        public Builder presence(Presence value) {
            presence = value;
            return this;
        }

        public Builder shutdown(Shutdown value) {
            shutdown = value;
            return this;
        }

        public Builder api(Api value) {
            api = value;
            return this;
        }

        public Builder redis(RedisSettings value) {
            redis = value;
            return this;
        }

        public Builder monitoring(Monitoring value) {
            monitoring = value;
            return this;
        }

        public Builder security(Security value) {
            security = value;
            return this;
        }

        public Builder tracing(Tracing value) {
            tracing = value;
            return this;
        }

        public Builder cluster(Cluster value) {
            cluster = value;
            return this;
        }

        public Builder nats(NatsSettings value) {
            nats = value;
            return this;
        }

        public Builder hooks(Hooks value) {
            hooks = value;
            return this;
        }

        public Builder proxy(Proxy value) {
            proxy = value;
            return this;
        }

        public Builder admin(Admin value) {
            admin = value;
            return this;
        }

        public Builder namespaces(Map<String, Namespace> value) {
            namespaces = value;
            return this;
        }

        public SwitchboardConfig build() {
            return new SwitchboardConfig(server, websocket, hub, history, presence, shutdown, api, redis, monitoring,
                    security, tracing, cluster, nats, hooks, proxy, admin, namespaces);
        }
    }
}
