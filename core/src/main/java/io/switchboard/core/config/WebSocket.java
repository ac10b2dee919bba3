package io.switchboard.core.config;

import java.time.Duration;

/**
 * WebSocket endpoint, heartbeats and per-connection limits. Core reads the heartbeat, room, invalid-command
 * and message-size limits; the transport keys live here too because they share the {@code websocket.*} keys and
 * one rule ({@code maxFrameBytes} within {@code maxMessageBytes}).
 *
 * @param path upgrade path
 * @param maxConnections global cap; upgrades beyond it get 503
 * @param readBufferBytes socket receive buffer (SO_RCVBUF); 0 keeps the OS default
 * @param writeBufferBytes socket send buffer (SO_SNDBUF); 0 keeps the OS default
 * @param handshakeTimeout deadline from accept to completed upgrade
 * @param pingInterval how often the server pings; must be shorter than pongTimeout
 * @param pongTimeout a connection silent this long (not even a pong) is closed with 1001
 * @param writeWait a connection whose writes stay backlogged this long without the peer taking any of them is closed
 *     with 4008; a peer that reads, only slowly, starts the wait again with what it takes
 * @param maxFrameBytes largest single frame payload; larger closes with 1009
 * @param maxMessageBytes largest message after joining fragments; larger closes with 1009
 * @param maxQueuedBytes outbound bytes queued for one connection before it is closed with 4008; while direct
 *                       memory is above 75% of its limit, 64 KiB (or this, if smaller) is enough
 * @param maxRoomsPerConnection joins beyond this answer {@code too_many_rooms}
 * @param maxInvalidMessages invalid commands tolerated per connection before close 1008
 * @param enableCompression negotiate permessage-deflate
 * @param maxFragmentsPerMessage frames one message may arrive in; more closes with 1008
 * @param messageAssemblyTimeout a fragmented message not complete this long after its first frame closes with 1008
 */
public record WebSocket(String path, int maxConnections, int readBufferBytes, int writeBufferBytes,
                        Duration handshakeTimeout, Duration pingInterval, Duration pongTimeout,
                        Duration writeWait, int maxFrameBytes, int maxMessageBytes, int maxQueuedBytes,
                        int maxRoomsPerConnection, int maxInvalidMessages, boolean enableCompression,
                        int maxFragmentsPerMessage, Duration messageAssemblyTimeout) {

    public WebSocket {
        Check.notNull("websocket.path", path);
        if (!path.matches("/[A-Za-z0-9_./-]*")) {
            throw new ConfigException("websocket.path", path, "must start with / and use [A-Za-z0-9_./-]");
        }
        Check.range("websocket.maxConnections", maxConnections, 1, 10_000_000);
        Check.range("websocket.readBufferBytes", readBufferBytes, 0, 64 * 1024 * 1024);
        Check.range("websocket.writeBufferBytes", writeBufferBytes, 0, 64 * 1024 * 1024);
        Check.positive("websocket.handshakeTimeout", handshakeTimeout);
        Check.positive("websocket.pingInterval", pingInterval);
        Check.positive("websocket.pongTimeout", pongTimeout);
        Check.positive("websocket.writeWait", writeWait);
        if (pingInterval.compareTo(pongTimeout) >= 0) {
            throw new ConfigException("websocket.pingInterval (" + Check.format(pingInterval)
                    + ") must be shorter than websocket.pongTimeout (" + Check.format(pongTimeout) + ")");
        }
        Check.range("websocket.maxFrameBytes", maxFrameBytes, 125, 64 * 1024 * 1024);
        Check.range("websocket.maxMessageBytes", maxMessageBytes, 125, 64 * 1024 * 1024);
        if (maxFrameBytes > maxMessageBytes) {
            throw new ConfigException("websocket.maxFrameBytes (" + maxFrameBytes
                    + ") must not exceed websocket.maxMessageBytes (" + maxMessageBytes + ")");
        }
        Check.range("websocket.maxQueuedBytes", maxQueuedBytes, 1024, 1024 * 1024 * 1024);
        Check.range("websocket.maxRoomsPerConnection", maxRoomsPerConnection, 1, 100_000);
        Check.range("websocket.maxInvalidMessages", maxInvalidMessages, 1, 1_000_000);
        Check.range("websocket.maxFragmentsPerMessage", maxFragmentsPerMessage, 1, 1_000_000);
        Check.positive("websocket.messageAssemblyTimeout", messageAssemblyTimeout);
    }

    /** The documented defaults. */
    public static WebSocket defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().path(path).maxConnections(maxConnections).readBufferBytes(readBufferBytes)
                .writeBufferBytes(writeBufferBytes).handshakeTimeout(handshakeTimeout).pingInterval(pingInterval)
                .pongTimeout(pongTimeout).writeWait(writeWait).maxFrameBytes(maxFrameBytes)
                .maxMessageBytes(maxMessageBytes).maxQueuedBytes(maxQueuedBytes)
                .maxRoomsPerConnection(maxRoomsPerConnection).maxInvalidMessages(maxInvalidMessages)
                .enableCompression(enableCompression).maxFragmentsPerMessage(maxFragmentsPerMessage)
                .messageAssemblyTimeout(messageAssemblyTimeout);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String path = "/ws";
        private int maxConnections = 100_000;
        private int readBufferBytes;
        private int writeBufferBytes;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration pingInterval = Duration.ofSeconds(25);
        private Duration pongTimeout = Duration.ofSeconds(60);
        private Duration writeWait = Duration.ofSeconds(10);
        private int maxFrameBytes = 65536;
        private int maxMessageBytes = 65536;
        private int maxQueuedBytes = 1024 * 1024;
        private int maxRoomsPerConnection = 100;
        private int maxInvalidMessages = 10;
        private boolean enableCompression;
        private int maxFragmentsPerMessage = 1024;
        private Duration messageAssemblyTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        public Builder path(String value) {
            path = value;
            return this;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder readBufferBytes(int value) {
            readBufferBytes = value;
            return this;
        }

        public Builder writeBufferBytes(int value) {
            writeBufferBytes = value;
            return this;
        }

        public Builder handshakeTimeout(Duration value) {
            handshakeTimeout = value;
            return this;
        }

        public Builder pingInterval(Duration value) {
            pingInterval = value;
            return this;
        }

        public Builder pongTimeout(Duration value) {
            pongTimeout = value;
            return this;
        }

        public Builder writeWait(Duration value) {
            writeWait = value;
            return this;
        }

        public Builder maxFrameBytes(int value) {
            maxFrameBytes = value;
            return this;
        }

        public Builder maxMessageBytes(int value) {
            maxMessageBytes = value;
            return this;
        }

        public Builder maxQueuedBytes(int value) {
            maxQueuedBytes = value;
            return this;
        }

        public Builder maxRoomsPerConnection(int value) {
            maxRoomsPerConnection = value;
            return this;
        }

        public Builder maxInvalidMessages(int value) {
            maxInvalidMessages = value;
            return this;
        }

        public Builder enableCompression(boolean value) {
            enableCompression = value;
            return this;
        }

        public Builder maxFragmentsPerMessage(int value) {
            maxFragmentsPerMessage = value;
            return this;
        }

        public Builder messageAssemblyTimeout(Duration value) {
            messageAssemblyTimeout = value;
            return this;
        }

        public WebSocket build() {
            return new WebSocket(path, maxConnections, readBufferBytes, writeBufferBytes, handshakeTimeout,
                    pingInterval, pongTimeout, writeWait, maxFrameBytes, maxMessageBytes, maxQueuedBytes,
                    maxRoomsPerConnection, maxInvalidMessages, enableCompression, maxFragmentsPerMessage,
                    messageAssemblyTimeout);
        }
    }
}
