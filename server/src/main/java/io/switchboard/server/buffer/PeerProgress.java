package io.switchboard.server.buffer;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Whether a peer is still taking what the server sends, as the kernel sees it: the time since it last sent the
 * peer data ({@code tcpi_last_data_send} of {@code TCP_INFO}). A peer whose application stopped reading closes its
 * receive window, after which the kernel sends it no data, only window probes; one that reads, however slowly,
 * reopens the window and gets data. Unlike the queue in front of the socket, which shrinks only as the kernel
 * frees a third of its send buffer at a time, this sees every read the peer does. Stateless.
 */
public final class PeerProgress {
    private PeerProgress() {
    }

    /**
     * Milliseconds since the kernel last sent {@code channel}'s peer data, or -1 when it cannot tell (a transport
     * other than epoll, or a channel already closed).
     */
    public static long millisSinceDataSent(Channel channel) {
        if (channel instanceof EpollSocketChannel epoll && epoll.isActive()) {
            try {
                return epoll.tcpInfo().lastDataSent();
            } catch (RuntimeException e) {
                return -1; // closed between the check and the call
            }
        }
        return -1;
    }
}
