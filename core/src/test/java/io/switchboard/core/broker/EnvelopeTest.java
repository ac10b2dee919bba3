package io.switchboard.core.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The stream kinds survive the broker's bytes with every field they route by. */
class EnvelopeTest {
    @Test
    void aStreamCommandCarriesItsSessionRequestNumberAndCommand() {
        byte[] command = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
        Envelope e = Envelope.decode(Envelope.streamCommand("n2", "abc.n1", 42, command).encode());
        assertThat(e.kind()).isEqualTo(Envelope.Kind.STREAM_COMMAND);
        assertThat(e.origin()).isEqualTo("n2");
        assertThat(e.target()).isEqualTo("abc.n1");
        assertThat(e.offset()).isEqualTo(42);
        assertThat(e.json()).isEqualTo(command);
    }

    @Test
    void aStreamAnswerCarriesItsStatusAndText() {
        Envelope e = Envelope.decode(Envelope.streamAnswer("n1", "abc.n1", 42, 404, "no such session").encode());
        assertThat(e.kind()).isEqualTo(Envelope.Kind.STREAM_ANSWER);
        assertThat(e.offset()).isEqualTo(42);
        assertThat(e.code()).isEqualTo(404);
        assertThat(new String(e.json(), StandardCharsets.UTF_8)).isEqualTo("no such session");
        assertThat(Envelope.nodeChannel("n1")).isEqualTo("node.n1");
    }
}
