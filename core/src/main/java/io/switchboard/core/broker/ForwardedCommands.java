package io.switchboard.core.broker;

/**
 * Where a node hands HTTP streaming commands that another node received for a session living here, and the
 * answers to the commands it forwarded itself (the server's streaming transport; see {@code Hub.forwardTo}).
 * Called on the broker's threads, one at a time; implementations must not block and must not throw.
 */
public interface ForwardedCommands {
    /** Forwards nothing: a node without HTTP streaming answers other nodes' commands with 404. */
    ForwardedCommands NONE = new ForwardedCommands() {
        @Override
        public void command(String origin, String session, long request, byte[] command) {
        }

        @Override
        public void answer(String session, long request, int status, String text) {
        }
    };

    /**
     * Node {@code origin} received {@code command} for {@code session}; answer it with
     * {@link Envelope#streamAnswer} on {@code origin}'s channel.
     */
    void command(String origin, String session, long request, byte[] command);

    /** The session's node answered the {@code request}th command this node forwarded. */
    void answer(String session, long request, int status, String text);
}
