package io.switchboard.client.internal;

/** The server answered {@code GET /stream} with something other than a stream: its status and reason. */
final class StreamRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    StreamRefusedException(int status, String reason) {
        super("stream refused: " + status + (reason.isEmpty() ? "" : " " + reason), null, false, false);
        this.status = status;
    }
}
