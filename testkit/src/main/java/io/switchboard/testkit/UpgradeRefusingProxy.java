package io.switchboard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on loopback that refuses every WebSocket upgrade with 403 (as some corporate proxies do) and
 * passes any other connection through to the target untouched, bytes both ways. Only a connection's first
 * request is looked at: enough for clients that upgrade on a fresh connection.
 *
 * <p>Thread-safe: two daemon threads per connection copy the bytes.
 */
public final class UpgradeRefusingProxy implements AutoCloseable {
    /** Longest request head read before deciding; longer ones are refused with 431. */
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger upgradesRefused = new AtomicInteger();

    /** A proxy on a free loopback port forwarding to {@code targetPort} on loopback. */
    public UpgradeRefusingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(this::accept, "upgrade-refusing-proxy");
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** WebSocket upgrades refused so far. */
    public int upgradesRefused() {
        return upgradesRefused.get();
    }

    private static void daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                daemon(() -> serve(client), "upgrade-refusing-proxy-conn");
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try {
            byte[] head = readHead(client.getInputStream());
            OutputStream toClient = client.getOutputStream();
            if (head == null) {
                toClient.write("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                client.close();
                return;
            }
            if (new String(head, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).contains("\nupgrade: websocket")) {
                upgradesRefused.incrementAndGet();
                toClient.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                toClient.flush();
                client.close();
                return;
            }
            Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            sockets.add(target);
            target.getOutputStream().write(head);
            daemon(() -> copy(client, target), "upgrade-refusing-proxy-up");
            copy(target, client);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** The request head up to and including its blank line, or null when it is longer than the cap. */
    private static byte[] readHead(InputStream in) throws IOException {
        byte[] buf = new byte[MAX_HEAD_BYTES];
        int n = 0;
        while (n < buf.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the request head ended");
            }
            buf[n++] = (byte) b;
            if (n >= 4 && buf[n - 4] == '\r' && buf[n - 3] == '\n' && buf[n - 2] == '\r' && buf[n - 1] == '\n') {
                return java.util.Arrays.copyOf(buf, n);
            }
        }
        return null;
    }

    private static void copy(Socket from, Socket to) {
        byte[] buf = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away: end both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
