package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hostile test peer on a plain socket: writes whatever bytes a test wants (handshakes with any
 * header, frames with any opcode, length or mask) and reads the server's answer byte by byte. Bound
 * to a chosen loopback source address when a test needs several "clients" (127.0.0.2, 127.0.0.3).
 */
final class RawPeer implements AutoCloseable {
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CONTINUATION = 0x0;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    final Socket socket;
    final InputStream in;
    final OutputStream out;

    /** An HTTP response head and body. */
    record Response(int status, Map<String, String> headers, String body) {
    }

    /** One frame from the server. */
    record Frame(boolean fin, int rsv, int opcode, byte[] payload) {
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private RawPeer(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static RawPeer open(int port) {
        return open("127.0.0.1", port);
    }

    /** Connects from {@code sourceIp} (any 127.x.y.z works on Linux loopback). */
    static RawPeer open(String sourceIp, int port) {
        return open(sourceIp, port, 0);
    }

    /** Connects with a small receive buffer (set before connecting, so the window is small too), or 0 for the default. */
    static RawPeer open(String sourceIp, int port, int receiveBufferBytes) {
        try {
            Socket s = new Socket();
            if (receiveBufferBytes > 0) {
                s.setReceiveBufferSize(receiveBufferBytes);
            }
            s.bind(new InetSocketAddress(sourceIp, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            s.setTcpNoDelay(true);
            return new RawPeer(s);
        } catch (IOException e) {
            throw new AssertionError("cannot connect from " + sourceIp, e);
        }
    }

    /** An upgrade request for {@code /ws + query} with the given extra headers (Host is added unless given). */
    static String upgradeRequest(int port, String pathAndQuery, Map<String, String> headers) {
        StringBuilder sb = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\n");
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Host", "127.0.0.1:" + port);
        h.put("Upgrade", "websocket");
        h.put("Connection", "Upgrade");
        h.put("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(new byte[16]));
        h.put("Sec-WebSocket-Version", "13");
        h.putAll(headers);
        h.forEach((k, v) -> {
            if (v != null) {
                sb.append(k).append(": ").append(v).append("\r\n");
            }
        });
        return sb.append("\r\n").toString();
    }

    /** Sends an upgrade request and reads the response head (and the body of a refusal). */
    Response handshake(int port, String pathAndQuery, Map<String, String> headers) {
        write(upgradeRequest(port, pathAndQuery, headers).getBytes(StandardCharsets.ISO_8859_1));
        return readResponse();
    }

    /** Upgrades or fails the test. */
    RawPeer upgraded(int port, String pathAndQuery, Map<String, String> headers) {
        Response r = handshake(port, pathAndQuery, headers);
        assertThat(r.status()).as("upgrade answered %s", r).isEqualTo(101);
        return this;
    }

    Response readResponse() {
        try {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed in the response head: " + head);
                }
                head.write(b);
                matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                        ? matched + 1 : 0;
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            String body = "";
            if (status != 101 && headers.containsKey("content-length")) {
                body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))),
                        StandardCharsets.UTF_8);
            }
            return new Response(status, headers, body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes without failing when the server already closed. */
    boolean tryWrite(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A masked client frame (RFC 6455 section 5.2). */
    static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload) {
        return frame(fin, rsv, opcode, payload, payload.length);
    }

    /** A masked client frame whose length field claims {@code declaredLength} (a lie when it differs). */
    static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload, long declaredLength) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        if (declaredLength < 126) {
            f.write(0x80 | (int) declaredLength);
        } else if (declaredLength <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write((int) (declaredLength >>> 8));
            f.write((int) declaredLength);
        } else {
            f.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) (declaredLength >>> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    void send(boolean fin, int opcode, byte[] payload) {
        write(frame(fin, 0, opcode, payload));
    }

    void sendText(String text) {
        send(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The next frame, or null at end of stream or after the socket timeout. */
    Frame readFrame() {
        try {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int b1 = in.read();
            long len = b1 & 0x7F;
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | in.read();
                }
            }
            byte[] payload = in.readNBytes((int) len);
            return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0x0F, payload);
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads frames until the server's close frame; its code, or -1 when the stream ended without one. */
    int awaitCloseCode() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Frame f = readFrame();
            if (f == null) {
                return -1;
            }
            if (f.opcode() == CLOSE) {
                return f.closeCode();
            }
        }
        return -1;
    }

    /** Reads frames until the next text frame; null if the stream ends first. */
    Frame nextText() {
        while (true) {
            Frame f = readFrame();
            if (f == null || f.opcode() == TEXT || f.opcode() == CLOSE) {
                return f;
            }
        }
    }

    /** True once the server closed the TCP connection (read returns end of stream) within the timeout. */
    boolean closedByServer(long timeoutMillis) {
        try {
            socket.setSoTimeout((int) timeoutMillis);
            byte[] buf = new byte[4096];
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (System.nanoTime() < deadline) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
