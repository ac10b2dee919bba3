package io.switchboard.server.node;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;

/**
 * The event loops a node runs on, of the I/O transport its caller chose: one loop accepts, the workers
 * serve connections (each connection lives on one of them). The node shuts both down when it stops.
 *
 * @param serverChannel the listening channel type of that transport
 * @param transport the transport's name for logs and stats ({@code epoll}, {@code nio})
 */
public record EventLoops(MultiThreadIoEventLoopGroup boss, MultiThreadIoEventLoopGroup workers,
                         Class<? extends ServerChannel> serverChannel, String transport) {
}
