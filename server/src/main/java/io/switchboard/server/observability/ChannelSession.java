package io.switchboard.server.observability;

import io.netty.channel.Channel;

/**
 * A session that runs over a Netty channel: tracing reads the connection's upgrade span from the
 * channel's attributes through it, without knowing the transport that implements the session.
 */
public interface ChannelSession {
    /** The connection's channel once its handshake completed, else null. */
    Channel channel();
}
