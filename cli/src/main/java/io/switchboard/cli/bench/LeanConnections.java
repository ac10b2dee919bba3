package io.switchboard.cli.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.switchboard.protocol.internal.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Connections that cost the load generator as little as possible, so that it can absorb a million
 * deliveries a second on one core and the server, not the client, is what a run measures: fan-out
 * subscribers, idle connections, and closed-loop echo connections (also over raw TCP, the floor an
 * echo over WebSocket is compared with).
 *
 * <p>The full client ({@code SwitchboardClient}) decodes every frame into a JSON tree and hands it to
 * a callback; at about 450k deliveries/s that saturates a core. A lean subscriber ({@link LeanWebSocket})
 * instead speaks just enough of RFC 6455 over a raw socket: it sends the upgrade request and one masked
 * {@code join_room}, answers pings, and reads frames straight out of the receive buffer. For each text
 * frame it looks for the payload's {@code {"t":} (the intended send time that every bench publisher
 * puts first in {@code data}) and parses the number in place: no frame object, no copy, no JSON tree.
 * {@link TcpPinger} is the raw TCP floor.
 *
 * <p>What it does not do: extensions (it offers none), fragmented messages (the server sends none
 * below its frame size), TLS. A frame it cannot read closes the connection and counts an error.
 *
 * <p>This class owns the event loops and the list of connections, opens them and closes them all.
 *
 * <p>Threading: connections live on this object's event loops (epoll where available); counters go to
 * {@link BenchRun}, whose counters and recorder are thread-safe.
 */
final class LeanConnections implements BenchRun.Connections {
    private final BenchRun run;
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelClass;
    private final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
    /** Closed-loop echo connections, started by {@link #startEcho}. */
    private final List<Echoing> echoers = Collections.synchronizedList(new ArrayList<>());
    /** Whether a drop counts as an error: only while measuring. */
    volatile boolean measuring;

    private LeanConnections(BenchRun run) {
        this.run = run;
        Transport transport = Transport.best();
        this.group = transport.newGroup(Runtime.getRuntime().availableProcessors(), "bench-lean");
        this.channelClass = transport.socketChannel();
    }

    /** Lean connections for {@code run}: counted among its live connections, closed with it. */
    static LeanConnections of(BenchRun run) {
        LeanConnections lean = new LeanConnections(run);
        run.closeWithRun(lean);
        return lean;
    }

    /**
     * Opens {@code n} lean subscribers to the run's URL, subscriber {@code i} in room {@code rooms.apply(i)}
     * (none when null), at most {@link BenchOptions#inFlight} connecting at a time. Failures count as errors;
     * {@code onJoined} runs for each subscriber that got {@code room_joined} (or its upgrade, without a
     * room), after its setup latency was recorded when asked.
     */
    List<CompletableFuture<Void>> openAll(int n, IntFunction<String> rooms, IntConsumer onJoined,
                                          boolean recordSetupLatency) throws InterruptedException {
        return openAll(n, (user, local, i) -> open(run.options.url(), user, local, rooms.apply(i)), onJoined,
                recordSetupLatency);
    }

    /** As {@link #openAll(int, IntFunction, IntConsumer, boolean)} over Server-Sent Events streams. */
    List<CompletableFuture<Void>> openAllSse(int n, IntFunction<String> rooms, IntConsumer onJoined)
            throws InterruptedException {
        return openAll(n, (user, local, i) -> openSse(run.options.url(), user, local, rooms.apply(i)), onJoined,
                false);
    }

    /**
     * Opens {@code n} closed-loop echo connections (see {@link #openEcho}) whose echoes carry {@code pad};
     * failures count as errors.
     */
    List<CompletableFuture<Void>> openAllEcho(int n, String pad) throws InterruptedException {
        return openAll(n, (user, local, i) -> openEcho(run.options.url(), user, local, run.options.sizeBytes(), pad),
                i -> { }, false);
    }

    /** Opens one lean connection. */
    private interface Opener {
        CompletableFuture<Void> open(String user, InetAddress localAddress, int index);
    }

    private List<CompletableFuture<Void>> openAll(int n, Opener opener, IntConsumer onJoined,
                                                  boolean recordSetupLatency) throws InterruptedException {
        Semaphore inFlight = new Semaphore(run.options.inFlight());
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            if (System.nanoTime() >= run.openUntilNanos) {
                inFlight.release();
                break;
            }
            int index = i;
            long start = System.nanoTime();
            all.add(opener.open(run.nextUser(), run.nextLocalAddress(), i)
                    .whenComplete((v, error) -> {
                        inFlight.release();
                        if (error != null) {
                            run.error("connect failed", error);
                        } else {
                            if (recordSetupLatency) {
                                run.record(start);
                            }
                            onJoined.accept(index);
                        }
                    }));
        }
        return all;
    }

    /**
     * Connects as {@code user}, upgrades and joins {@code room} (none when null). The future completes
     * when {@code room_joined} arrives (without a room: on the upgrade), and fails on a refused upgrade,
     * an error reply or a drop.
     */
    CompletableFuture<Void> open(URI url, String user, InetAddress localAddress, String room) {
        if (!"ws".equalsIgnoreCase(url.getScheme())) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "the lean receiver speaks ws:// only; use --receiver client for " + url.getScheme()));
        }
        CompletableFuture<Void> joined = new CompletableFuture<>();
        return connect(url, localAddress, new LeanWebSocket(run, this::measuring, BenchRun.withUser(url, user), room, null, joined,
                "lean-deflate".equals(run.options.receiver())), joined);
    }

    /**
     * Connects as {@code user} and opens a Server-Sent Events stream of {@code room} ({@code GET /sse} on the
     * host of {@code url}); the future completes when the stream's {@code room_joined} arrives.
     */
    CompletableFuture<Void> openSse(URI url, String user, InetAddress localAddress, String room) {
        CompletableFuture<Void> joined = new CompletableFuture<>();
        return connect(url, localAddress, new LeanSse(run, this::measuring, url, user, room, joined), joined);
    }

    /**
     * Opens a closed-loop echo connection: over {@code ws://} an upgraded connection that sends
     * {@code echo} commands padded with {@code pad} ({@link Payloads#echoCommand}); over {@code tcp://} a
     * plain socket that sends {@code sizeBytes} raw bytes to an echo server. Nothing is sent before {@link #startEcho}; then each
     * connection keeps one message in flight, sending the next as soon as the reply arrives, until
     * {@link BenchRun#measureToNanos}. The future completes when the connection is ready.
     */
    CompletableFuture<Void> openEcho(URI url, String user, InetAddress localAddress, int sizeBytes, String pad) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Echoing echo;
        if ("tcp".equalsIgnoreCase(url.getScheme())) {
            echo = new TcpPinger(run, this::measuring, sizeBytes, ready);
        } else if ("ws".equalsIgnoreCase(url.getScheme())) {
            echo = new LeanWebSocket(run, this::measuring, BenchRun.withUser(url, user), null, pad, ready, false);
        } else {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a closed-loop echo speaks ws:// or tcp://, not " + url.getScheme()));
        }
        echoers.add(echo);
        return connect(url, localAddress, (ChannelHandler) echo, ready);
    }

    /** Every echo connection sends its first message, on its own event loop. */
    void startEcho() {
        synchronized (echoers) {
            for (Echoing e : echoers) {
                e.start();
            }
        }
    }

    private CompletableFuture<Void> connect(URI url, InetAddress localAddress, ChannelHandler handler,
                                            CompletableFuture<Void> ready) {
        int port = url.getPort() > 0 ? url.getPort() : 80;
        Bootstrap b = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(handler);
        InetSocketAddress remote = new InetSocketAddress(url.getHost(), port);
        var connect = localAddress == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(localAddress, 0));
        // Kept from now, not from the connect listener: on loopback the connection can be active, and
        // `ready` complete, before a listener added here runs, and alive() would miss it. Like closed ones,
        // a channel whose connect failed stays listed; alive() counts only the active.
        channels.add(connect.channel());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ready.completeExceptionally(f.cause());
            }
        });
        return ready;
    }

    private boolean measuring() {
        return measuring;
    }

    @Override
    public long alive() {
        long n = 0;
        synchronized (channels) {
            for (Channel c : channels) {
                if (c.isActive()) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        measuring = false;
        synchronized (channels) {
            for (Channel c : channels) {
                c.close();
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
