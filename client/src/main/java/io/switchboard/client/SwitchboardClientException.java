package io.switchboard.client;

/**
 * Base of the failures a {@link SwitchboardClient} reports through its futures. Subclasses name
 * the cause; {@link ServerErrorException} carries the server's error code.
 *
 * <p>Immutable, like all exceptions here.
 */
public class SwitchboardClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SwitchboardClientException(String message) {
        super(message);
    }

    public SwitchboardClientException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The server answered the command with {@code {"type":"error"}}. */
    public static final class ServerErrorException extends SwitchboardClientException {
        private static final long serialVersionUID = 1L;
        private final String code;

        public ServerErrorException(String code, String message) {
            super(code + ": " + message);
            this.code = code;
        }

        /** The wire error code, e.g. {@code not_in_room}. */
        public String code() {
            return code;
        }
    }

    /** The bounded send queue was full: the connection is down or slower than the sender. */
    public static final class SendQueueFullException extends SwitchboardClientException {
        private static final long serialVersionUID = 1L;

        public SendQueueFullException(int capacity) {
            super("send queue full (" + capacity + " commands waiting); the connection is down or too slow, retry later");
        }
    }

    /** No reply arrived within {@link ClientConfig#ackTimeout()}. */
    public static final class AckTimeoutException extends SwitchboardClientException {
        private static final long serialVersionUID = 1L;

        public AckTimeoutException(String message) {
            super(message);
        }
    }

    /**
     * The connection dropped after the command was sent and before its reply: the server may or
     * may not have applied it. For room messages, compare offsets after the rejoin to find out.
     */
    public static final class ConnectionLostException extends SwitchboardClientException {
        private static final long serialVersionUID = 1L;

        public ConnectionLostException(String message) {
            super(message);
        }
    }

    /** The client is closed (by {@link SwitchboardClient#close()} or a close code that forbids reconnecting). */
    public static final class ClientClosedException extends SwitchboardClientException {
        private static final long serialVersionUID = 1L;
        private final int closeCode;

        public ClientClosedException(int closeCode, String message) {
            super(message);
            this.closeCode = closeCode;
        }

        /** The close code (or HTTP status, or 1006) that ended the client; 1000 after {@code close()}. */
        public int closeCode() {
            return closeCode;
        }
    }
}
