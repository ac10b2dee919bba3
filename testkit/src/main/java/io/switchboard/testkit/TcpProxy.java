package io.switchboard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loopback TCP proxy a test can cut (every connection dropped at once, as a flaky network
 * does) or freeze (bytes stop flowing, sockets stay open, as behind a dead NAT mapping). New
 * connections are accepted throughout. A single connection can be frozen alone, which is how a test
 * makes one subscription go silent while its neighbours keep working. Plain blocking sockets, two
 * pump threads per connection.
 *
 * <p>Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** One flag per accepted connection, in accept order: whether that connection alone is frozen. */
    private final List<AtomicBoolean> connectionFrozen = new CopyOnWriteArrayList<>();
    /** The proxy's own end of each connection to the target, in accept order (as the target sees it). */
    private final List<Socket> targetSide = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;
    /** Only server → client bytes stop: requests arrive, replies do not (a lost ack). */
    private volatile boolean downstreamFrozen;
    private volatile boolean closed;

    /** A proxy on a free loopback port forwarding to {@code targetPort} on loopback. */
    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Drops every current connection without a close frame; later connections go through. */
    public void cut() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        sockets.clear();
        downstreamFrozen = false;
    }

    /** Stops moving bytes on every connection until {@link #thaw()}, without closing anything. */
    public void freeze() {
        frozen = true;
    }

    /** Undoes {@link #freeze()}, {@link #freezeDownstream()} and every {@link #freezeConnection}. */
    public void thaw() {
        frozen = false;
        downstreamFrozen = false;
        connectionFrozen.forEach(f -> f.set(false));
    }

    /** How many connections were accepted so far. */
    public int accepted() {
        return connectionFrozen.size();
    }

    /**
     * Stops moving bytes, both ways, on the {@code index}-th connection accepted (from 0), without
     * closing it; the others keep flowing.
     */
    public void freezeConnection(int index) {
        connectionFrozen.get(index).set(true);
    }

    /**
     * Freezes the connection whose end toward the target has local port {@code port}: the client port the
     * target reports for it (Redis' {@code CLIENT LIST addr=}). Returns false when no connection has it.
     */
    public boolean freezeConnectionSeenByTargetAs(int port) {
        for (int i = 0; i < targetSide.size(); i++) {
            if (targetSide.get(i).getLocalPort() == port) {
                freezeConnection(i);
                return true;
            }
        }
        return false;
    }

    /** Stops moving bytes from the server to clients until {@link #thaw()} or {@link #cut()}. */
    public void freezeDownstream() {
        downstreamFrozen = true;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                AtomicBoolean alone = new AtomicBoolean();
                targetSide.add(server);
                connectionFrozen.add(alone);
                pump(client, server, alone, false);
                pump(server, client, alone, true);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicBoolean alone, boolean downstream) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while (true) {
                    while ((frozen || alone.get() || downstream && downstreamFrozen) && !from.isClosed()) {
                        Thread.sleep(10);
                    }
                    n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    while ((frozen || alone.get() || downstream && downstreamFrozen) && !from.isClosed()) {
                        Thread.sleep(10); // hold bytes read just before the freeze
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // cut or closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        cut();
    }
}
