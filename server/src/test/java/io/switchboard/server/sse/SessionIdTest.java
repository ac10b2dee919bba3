package io.switchboard.server.sse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A streaming session id names its node after a dot; anything else is not a session id and is never forwarded. */
class SessionIdTest {
    private static final String RANDOM = "AbCdEfGhIjKlMnOpQrSt_-";

    @Test
    void theNodeIsWhatFollowsTheRandomPartAndItsDot() {
        assertThat(StreamCommands.nodeOf(RANDOM + ".n1")).isEqualTo("n1");
        assertThat(StreamCommands.nodeOf(RANDOM + ".eu-1.node_2")).isEqualTo("eu-1.node_2");
        assertThat(StreamCommands.nodeOf(RANDOM + "." + "x".repeat(32))).hasSize(32);
    }

    @Test
    void idsThatAreNotSessionIdsNameNoNode() {
        assertThat(StreamCommands.nodeOf(RANDOM)).isNull();
        assertThat(StreamCommands.nodeOf(RANDOM + ".")).isNull();
        assertThat(StreamCommands.nodeOf(RANDOM + "." + "x".repeat(33))).isNull();
        assertThat(StreamCommands.nodeOf(RANDOM.substring(1) + "x.n1.")).isEqualTo("n1.");
        assertThat(StreamCommands.nodeOf("guessed-0000000000000000")).isNull();
        assertThat(StreamCommands.nodeOf(RANDOM + ".n 1")).isNull();
        assertThat(StreamCommands.nodeOf(RANDOM + ".n1/../x")).isNull();
        assertThat(StreamCommands.nodeOf("AbCdEfGhIjKlMnOpQrSt+/.n1")).isNull();
        assertThat(StreamCommands.nodeOf("AbCdEfGhIjKlMnOpQrSt.n1")).isNull();
    }
}
