package io.switchboard.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A WebSocket peer that speaks RFC 6455 itself over a plain socket, for what well-behaved clients never
 * do: handshakes with any header, frames with any opcode, length, reserved bits or no mask, raw bytes,
 * silence to pings. It answers nothing on its own (no pongs, no close replies) and reads the server's
 * answer byte by byte. It can connect from a chosen loopback source address when a test needs several
 * "clients" (127.0.0.2, 127.0.0.3), and with a small receive buffer for a reader that backs up.
 *
 * <p>Reads wait up to the socket timeout (5 s unless {@link #timeout(Duration)} changes it). Masks and
 * keys come from a seeded random, so every run sends the same bytes. Confined to the test thread.
 */
public final class RawPeer implements AutoCloseable {
    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;
    /** RFC 6455 section 1.3: appended to the key before hashing into Sec-WebSocket-Accept. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** The key {@link #upgradeRequest} sends unless the headers say otherwise: 16 zero bytes. */
    public static final String DEFAULT_KEY = Base64.getEncoder().encodeToString(new byte[16]);
    private static final int DEFAULT_TIMEOUT_MILLIS = 5000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** Seeded: the masks and keys are the same on every run. */
    private final Random random = new Random(6455);

    /** An HTTP response: status, head fields (lower-case names) and the body of a non-101 answer. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    /** One frame from the server. */
    public record Frame(boolean fin, int rsv, int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame, or 1005 (none present) when the payload is empty. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        /** The reason of a close frame, empty when there is none. */
        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private RawPeer(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    // ---------------------------------------------------------------- connecting

    /** A plain TCP connection to 127.0.0.1:{@code port}; nothing sent yet. */
    public static RawPeer open(int port) {
        return open("127.0.0.1", port);
    }

    /** Connects from {@code sourceIp} (any 127.x.y.z works on Linux loopback). */
    public static RawPeer open(String sourceIp, int port) {
        return open(sourceIp, port, 0);
    }

    /** Connects with a small receive buffer (set before connecting, so the window is small too), or 0 for the default. */
    public static RawPeer open(String sourceIp, int port, int receiveBufferBytes) {
        try {
            Socket s = new Socket();
            if (receiveBufferBytes > 0) {
                s.setReceiveBufferSize(receiveBufferBytes);
            }
            s.bind(new InetSocketAddress(sourceIp, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), DEFAULT_TIMEOUT_MILLIS);
            s.setSoTimeout(DEFAULT_TIMEOUT_MILLIS);
            s.setTcpNoDelay(true);
            return new RawPeer(s);
        } catch (IOException e) {
            throw new AssertionError("cannot connect from " + sourceIp + " to port " + port, e);
        }
    }

    /** Opens a connection and upgrades it on {@code pathAndQuery} with a fresh key, or fails the test. */
    public static RawPeer connect(int port, String pathAndQuery) {
        return connect(port, pathAndQuery, Map.of());
    }

    /** As {@link #connect(int, String)} with extra handshake headers. */
    public static RawPeer connect(int port, String pathAndQuery, Map<String, String> headers) {
        RawPeer peer = open(port);
        try {
            Map<String, String> withKey = new LinkedHashMap<>();
            withKey.put("Sec-WebSocket-Key", peer.newKey());
            withKey.putAll(headers);
            return peer.upgraded(port, pathAndQuery, withKey);
        } catch (RuntimeException | AssertionError e) {
            peer.close();
            throw e;
        }
    }

    /** Sends an upgrade request the server is expected to refuse, on a connection of its own; returns the answer. */
    public static Response refusedUpgrade(int port, String pathAndQuery) {
        try (RawPeer peer = open(port)) {
            return peer.handshake(port, pathAndQuery, Map.of());
        }
    }

    /**
     * An upgrade request for {@code pathAndQuery} with the given extra headers: Host, Upgrade,
     * Connection, Sec-WebSocket-Key ({@link #DEFAULT_KEY}) and Sec-WebSocket-Version 13 are added unless
     * given; a header given as null is left out.
     */
    public static String upgradeRequest(int port, String pathAndQuery, Map<String, String> headers) {
        StringBuilder sb = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\n");
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Host", "127.0.0.1:" + port);
        h.put("Upgrade", "websocket");
        h.put("Connection", "Upgrade");
        h.put("Sec-WebSocket-Key", DEFAULT_KEY);
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
    public Response handshake(int port, String pathAndQuery, Map<String, String> headers) {
        write(upgradeRequest(port, pathAndQuery, headers).getBytes(StandardCharsets.ISO_8859_1));
        return readResponse();
    }

    /**
     * Upgrades or fails the test: the answer must be 101 and, when a key was sent, carry the matching
     * Sec-WebSocket-Accept (RFC 6455 section 4.2.2).
     */
    public RawPeer upgraded(int port, String pathAndQuery, Map<String, String> headers) {
        Response r = handshake(port, pathAndQuery, headers);
        if (r.status() != 101) {
            throw new AssertionError("upgrade answered " + r);
        }
        String key = headers.containsKey("Sec-WebSocket-Key") ? headers.get("Sec-WebSocket-Key") : DEFAULT_KEY;
        if (key != null && !accept(key).equals(r.headers().get("sec-websocket-accept"))) {
            throw new AssertionError("Sec-WebSocket-Accept for key " + key + " should be " + accept(key) + ": " + r);
        }
        return this;
    }

    /** The Sec-WebSocket-Accept value for {@code key}. */
    public static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads an HTTP response head, and its body (by Content-Length) unless it is a 101. */
    public Response readResponse() {
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
                        ? matched + 1 : b == '\r' ? 1 : 0;
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
                body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
            }
            return new Response(status, headers, body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String newKey() {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    // ---------------------------------------------------------------- writing

    /** Writes raw bytes or fails the test. */
    public void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes without failing when the server already closed; false then. */
    public boolean tryWrite(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A masked client frame (RFC 6455 section 5.2) with a random mask. */
    public static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload) {
        return frame(fin, rsv, opcode, payload, payload.length);
    }

    /** A masked client frame whose length field claims {@code declaredLength} (a lie when it differs). */
    public static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload, long declaredLength) {
        byte[] mask = new byte[4];
        new Random(declaredLength * 31 + opcode).nextBytes(mask);
        return frame(fin, rsv, opcode, payload, declaredLength, mask);
    }

    /**
     * A client frame with the given mask, or unmasked when {@code mask} is null (RFC 6455 section 5.3
     * says a client masks every frame: null breaks that rule on purpose).
     */
    public static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload, long declaredLength, byte[] mask) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int maskBit = mask != null ? 0x80 : 0;
        if (declaredLength < 126) {
            f.write(maskBit | (int) declaredLength);
        } else if (declaredLength <= 0xFFFF) {
            f.write(maskBit | 126);
            f.write((int) (declaredLength >>> 8));
            f.write((int) declaredLength);
        } else {
            f.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) (declaredLength >>> (8 * i)));
            }
        }
        if (mask == null) {
            f.writeBytes(payload);
        } else {
            f.writeBytes(mask);
            for (int i = 0; i < payload.length; i++) {
                f.write(payload[i] ^ mask[i & 3]);
            }
        }
        return f.toByteArray();
    }

    /** Sends one masked frame. */
    public void send(boolean fin, int opcode, byte[] payload) {
        sendFrame(fin, opcode, payload, true);
    }

    /** Sends one frame, masked with this peer's seeded random or, with {@code masked=false}, unmasked. */
    public void sendFrame(boolean fin, int opcode, byte[] payload, boolean masked) {
        byte[] mask = null;
        if (masked) {
            mask = new byte[4];
            random.nextBytes(mask);
        }
        write(frame(fin, 0, opcode, payload, payload.length, mask));
    }

    public void sendText(String text) {
        send(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendBinary(byte[] payload) {
        send(true, BINARY, payload);
    }

    /** A close frame with {@code code} and {@code reason}. */
    public void sendClose(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + r.length];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, r.length);
        send(true, CLOSE, payload);
    }

    // ---------------------------------------------------------------- reading

    /** Sets how long each read waits. */
    public RawPeer timeout(Duration timeout) {
        try {
            socket.setSoTimeout(Math.toIntExact(Math.max(1, timeout.toMillis())));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The next frame, or null at end of stream, after a reset or after the read timeout. Fails when the
     * server masks a frame (RFC 6455 section 5.1: it never does).
     */
    public Frame readFrame() {
        try {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int b1 = in.read();
            if (b1 < 0) {
                return null;
            }
            if ((b1 & 0x80) != 0) {
                throw new AssertionError("server frames are never masked");
            }
            long len = b1 & 0x7F;
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | in.read();
                }
            }
            byte[] payload = in.readNBytes(Math.toIntExact(len));
            return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0x0F, payload);
        } catch (IOException e) {
            return null;
        }
    }

    /** The next frame, failing the test when none arrives within {@code within} or the stream ends. */
    public Frame expectFrame(Duration within) {
        int before = soTimeout();
        timeout(within);
        try {
            return expectFrame();
        } finally {
            restoreTimeout(before);
        }
    }

    /** The next frame, failing the test when none arrives within the read timeout or the stream ends. */
    public Frame expectFrame() {
        Frame f = readFrame();
        if (f == null) {
            throw new AssertionError("no frame within " + soTimeout() + " ms (or the connection ended)");
        }
        return f;
    }

    /** The next text message, skipping pings; fails on any other frame, a timeout or the end of the stream. */
    public String readText() {
        while (true) {
            Frame f = expectFrame();
            if (f.opcode() == TEXT) {
                return f.text();
            }
            if (f.opcode() != PING) {
                throw new AssertionError("frame " + f.opcode() + " while waiting for text");
            }
        }
    }

    /** Reads frames until the next text or close frame; null if the stream ends first. */
    public Frame nextText() {
        while (true) {
            Frame f = readFrame();
            if (f == null || f.opcode() == TEXT || f.opcode() == CLOSE) {
                return f;
            }
        }
    }

    /** Reads frames until the close frame, which it returns; fails if the stream ends or times out first. */
    public Frame readUntilClose() {
        while (true) {
            Frame f = expectFrame();
            if (f.opcode() == CLOSE) {
                return f;
            }
        }
    }

    /** Reads frames until the server's close frame; its code, or -1 when the stream ended without one. */
    public int awaitCloseCode() {
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

    /** True once the server closed the TCP connection (end of stream or a reset) within the timeout. */
    public boolean closedByServer(long timeoutMillis) {
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

    /** True once this side closed the socket. */
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }

    private int soTimeout() {
        try {
            return socket.getSoTimeout();
        } catch (IOException e) {
            return -1;
        }
    }

    private void restoreTimeout(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (IOException ignored) {
            // the socket is closed: nothing left to restore
        }
    }
}
