package io.switchboard.server.node;

import java.net.BindException;

/** The server could not start; the message says why in words fit for a user. */
public final class StartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StartException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Why {@code host:port} could not be bound, naming the {@code setting} that chose the port. */
    static StartException bindFailure(Exception e, String host, int port, String setting) {
        String where = host + ":" + port;
        String message = String.valueOf(e.getMessage());
        if (e instanceof BindException || message.contains("Address already in use")) {
            return new StartException("port " + port + " is already in use (" + where
                    + "); stop the other process or choose another with " + setting, e);
        }
        if (message.contains("Cannot assign requested address")) {
            return new StartException("cannot listen on " + where + ": the address is not on this machine", e);
        }
        if (message.contains("Permission denied")) {
            return new StartException("no permission to listen on " + where, e);
        }
        return new StartException("cannot listen on " + where + ": " + message, e);
    }
}
