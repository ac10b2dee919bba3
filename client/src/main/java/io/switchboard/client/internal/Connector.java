package io.switchboard.client.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.client.ClientConfig;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The mechanics of one connection of a client: a token from the configured supplier, a channel
 * connected and upgraded on the client's event loop, and the heartbeat pings once it is upgraded.
 * Whether and when to connect is the client's decision, not this class's.
 *
 * <p>Confined to the client's event loop; only the token supplier runs off it.
 */
final class Connector {
    private final ClientConfig config;
    private final EventLoop loop;
    private final Executor callbacks;
    private final Supplier<ClientChannelHandler> handlers;

    Connector(ClientConfig config, EventLoop loop, Executor callbacks, Supplier<ClientChannelHandler> handlers) {
        this.config = config;
        this.loop = loop;
        this.callbacks = callbacks;
        this.handlers = handlers;
    }

    /**
     * Gets the token for the next connection and hands it ({@code null} without a supplier) to
     * {@code withToken} on the loop, or the reason it failed to {@code failed}.
     */
    void fetchToken(Consumer<String> withToken, Consumer<String> failed) {
        Supplier<String> tokens = config.tokenSupplier();
        if (tokens == null) {
            withToken.accept(null);
            return;
        }
        // The supplier may block (a refresh after 4001): call it off the loop, on the callback executor.
        callbacks.execute(() -> {
            String token;
            try {
                token = tokens.get();
            } catch (RuntimeException e) {
                loop.execute(() -> failed.accept("token supplier failed: " + e));
                return;
            }
            loop.execute(() -> withToken.accept(token));
        });
    }

    /**
     * Connects a new channel on the loop; its pipeline upgrades it with {@code token}, or opens an HTTP stream
     * with it when {@code streaming}.
     */
    ChannelFuture connect(String token, boolean streaming) {
        ClientChannelInitializer initializer = new ClientChannelInitializer(config, token, handlers, streaming);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(SharedLoops.SHARED.channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 256 * 1024))
                .handler(initializer);
        InetSocketAddress remote = new InetSocketAddress(initializer.host(), initializer.port());
        return config.localAddress() == null
                ? b.connect(remote)
                : b.connect(remote, new InetSocketAddress(config.localAddress(), 0));
    }

    /** Pings every ping interval while the channel is active; the caller cancels it when the channel ends. */
    ScheduledFuture<?> startPings(Channel ch) {
        long interval = config.pingInterval().toMillis();
        return loop.scheduleAtFixedRate(() -> {
            if (ch.isActive()) {
                ch.writeAndFlush(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER));
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
    }
}
