package io.switchboard.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy a test can cut (every connection dropped at once, as a flaky network
 * does) or freeze (bytes stop flowing, sockets stay open, as behind a dead NAT mapping). New
 * connections are accepted throughout. Plain blocking sockets, two pump threads per connection.
 *
 * <p>Thread-safe.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;
    /** Only server → client bytes stop: requests arrive, replies do not (a lost ack). */
    private volatile boolean downstreamFrozen;
    private volatile boolean closed;

    TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Drops every current connection without a close frame; later connections go through. */
    void cut() {
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
    void freeze() {
        frozen = true;
    }

    void thaw() {
        frozen = false;
        downstreamFrozen = false;
    }

    /** Stops moving bytes from the server to clients until {@link #thaw()} or {@link #cut()}. */
    void freezeDownstream() {
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
                pump(client, server, false);
                pump(server, client, true);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, boolean downstream) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while (true) {
                    while (frozen && !from.isClosed()) {
                        Thread.sleep(10);
                    }
                    n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    while ((frozen || downstream && downstreamFrozen) && !from.isClosed()) {
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
