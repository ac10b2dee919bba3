package io.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for the JSON command decoder (docs/fuzzing.md). Properties, for any bytes a client sends in a
 * text frame: the decoder answers with a command or a {@link ProtocolException}, nothing else; and a command
 * it accepts survives a round trip: encoded again and decoded, it is the same command.
 */
class JsonCodecFuzzTest {
    private static final JsonCodec CODEC = new JsonCodec();

    @FuzzTest
    void anyTextFrameDecodesToACommandThatRoundTripsOrIsRefused(byte[] frame) throws ProtocolException {
        Command command;
        try {
            command = CODEC.decodeCommand(frame);
        } catch (ProtocolException refused) {
            assertThat(refused.code()).isNotNull();
            return;
        }
        assertThat(command).isNotNull();
        String encoded = CODEC.encodeCommand(command);
        Command again = CODEC.decodeCommand(encoded.getBytes(StandardCharsets.UTF_8));
        assertThat(again).as("decoded %s, encoded %s", command, encoded).isEqualTo(command);
        assertThat(CODEC.encodeCommand(again)).isEqualTo(encoded);
    }
}
