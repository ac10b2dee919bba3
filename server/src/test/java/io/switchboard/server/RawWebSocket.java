package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Random;

/**
 * A WebSocket peer that speaks RFC 6455 itself over a plain {@link Socket}, for what well-behaved
 * clients never do: stay silent to pings, send unmasked, oversized or invalid frames. It answers
 * nothing on its own (no pongs, no close replies). Confined to the test thread.
 */
final class RawWebSocket implements AutoCloseable {
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;
    /** RFC 6455 section 1.3: appended to the key before hashing into Sec-WebSocket-Accept. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** Seeded: the masks and keys are the same on every run. */
    private final Random random = new Random(6455);
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    /** One frame from the server. */
    record Frame(boolean fin, int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame, or 1005 (none present) when the payload is empty. */
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    /** A refused upgrade (or any HTTP answer): status line code, and the body. */
    record HttpAnswer(int status, String headers, String body) {
    }

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a socket, performs the upgrade on {@code path} and checks the 101 answer. */
    static RawWebSocket connect(int port, String path) throws IOException {
        RawWebSocket ws = new RawWebSocket(new Socket("127.0.0.1", port));
        ws.socket.setSoTimeout(5000);
        String key = ws.newKey();
        ws.sendUpgrade(path, key);
        HttpAnswer answer = ws.readHttpHead();
        assertThat(answer.status()).as("upgrade answer %s", answer.headers()).isEqualTo(101);
        assertThat(answer.headers().toLowerCase()).contains("sec-websocket-accept: " + accept(key).toLowerCase());
        return ws;
    }

    /** Sends an upgrade request that the server is expected to refuse; returns its answer with the body. */
    static HttpAnswer refusedUpgrade(int port, String path) throws IOException {
        try (RawWebSocket ws = new RawWebSocket(new Socket("127.0.0.1", port))) {
            ws.socket.setSoTimeout(5000);
            ws.sendUpgrade(path, ws.newKey());
            HttpAnswer head = ws.readHttpHead();
            int length = 0;
            for (String line : head.headers().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            byte[] body = new byte[length];
            ws.in.readFully(body);
            return new HttpAnswer(head.status(), head.headers(), new String(body, StandardCharsets.UTF_8));
        }
    }

    private String newKey() {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    private void sendUpgrade(String path, String key) throws IOException {
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private HttpAnswer readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the HTTP head: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int status = Integer.parseInt(text.substring(9, 12));
        return new HttpAnswer(status, text, "");
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- writing

    void sendText(String text) throws IOException {
        sendFrame(true, OP_TEXT, text.getBytes(StandardCharsets.UTF_8), true);
    }

    /**
     * Writes one frame. RFC 6455 section 5.3: a client masks every frame; {@code masked=false} breaks
     * that rule on purpose.
     */
    void sendFrame(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(14);
        header.put((byte) ((fin ? 0x80 : 0) | opcode));
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            header.put((byte) (maskBit | payload.length));
        } else if (payload.length <= 0xFFFF) {
            header.put((byte) (maskBit | 126)).putShort((short) payload.length);
        } else {
            header.put((byte) (maskBit | 127)).putLong(payload.length);
        }
        byte[] body = payload;
        if (masked) {
            byte[] mask = new byte[4];
            random.nextBytes(mask);
            header.put(mask);
            body = new byte[payload.length];
            for (int i = 0; i < payload.length; i++) {
                body[i] = (byte) (payload[i] ^ mask[i % 4]);
            }
        }
        out.write(header.array(), 0, header.position());
        out.write(body);
        out.flush();
    }

    // ---------------------------------------------------------------- reading

    /** The next frame, failing after the read timeout. */
    Frame readFrame() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        assertThat(b1 & 0x80).as("server frames are never masked").isZero();
        long length = b1 & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
    }

    /** The next text message, skipping pings. */
    String readText() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == OP_TEXT) {
                return f.text();
            }
            assertThat(f.opcode()).as("frame %s while waiting for text", f.opcode()).isEqualTo(OP_PING);
        }
    }

    /** Reads frames until the close frame, which it returns; pings and messages before it are skipped. */
    Frame readUntilClose() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == OP_CLOSE) {
                return f;
            }
        }
    }

    /** True when the server closed the TCP connection: end of stream (or a reset) before the timeout. */
    boolean isCutWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
