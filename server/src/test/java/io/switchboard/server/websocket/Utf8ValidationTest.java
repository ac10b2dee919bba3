package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The incremental UTF-8 check agrees with the JDK's strict decoder, whole and split anywhere. */
class Utf8ValidationTest {
    private final CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    private final CharBuffer chars = CharBuffer.allocate(64);

    /** The JDK's verdict, without the exception (and its stack trace) of each refusal. */
    private boolean jdkAccepts(byte[] bytes) {
        strict.reset();
        chars.clear();
        return !strict.decode(ByteBuffer.wrap(bytes), chars, true).isError() && !strict.flush(chars).isError();
    }

    private static int scan(byte[] bytes, int from, int to, int state) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes, from, to - from);
        return Utf8Validation.scan(state, buf);
    }

    private static boolean accepts(byte[] bytes) {
        return scan(bytes, 0, bytes.length, Utf8Validation.ACCEPT) == Utf8Validation.ACCEPT;
    }

    @Test
    void everyScalarValueIsAcceptedAndEverySurrogateRefused() {
        for (int cp = 0; cp <= 0x10FFFF; cp++) {
            boolean surrogate = cp >= 0xD800 && cp <= 0xDFFF;
            byte[] bytes = surrogate
                    ? new byte[] {(byte) 0xED, (byte) (0x80 | (cp >> 6) & 0x3F), (byte) (0x80 | cp & 0x3F)}
                    : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            assertThat(accepts(bytes)).as("U+%04X", cp).isEqualTo(!surrogate);
        }
    }

    @Test
    void everySequenceOfUpToThreeBytesGetsTheJdksVerdict() {
        ByteBuf buf = Unpooled.buffer(3);
        byte[] bytes = new byte[3];
        for (int a = 0; a < 256; a++) {
            assertThat(accepts(new byte[] {(byte) a})).as("%02X", a).isEqualTo(jdkAccepts(new byte[] {(byte) a}));
            for (int b = 0; b < 256; b++) {
                byte[] two = {(byte) a, (byte) b};
                assertThat(accepts(two)).as("%02X %02X", a, b).isEqualTo(jdkAccepts(two));
                // Three bytes after a lead byte of a longer form; after anything else the verdict on three is
                // that on its prefix and on the rest, which the shorter cases cover.
                for (int c = 0; a >= 0xC0 && c < 256; c++) {
                    bytes[0] = (byte) a;
                    bytes[1] = (byte) b;
                    bytes[2] = (byte) c;
                    buf.clear().writeBytes(bytes);
                    boolean ours = Utf8Validation.scan(Utf8Validation.ACCEPT, buf) == Utf8Validation.ACCEPT;
                    if (ours != jdkAccepts(bytes)) {
                        assertThat(ours).as("%02X %02X %02X", a, b, c).isEqualTo(jdkAccepts(bytes));
                    }
                }
            }
        }
    }

    @Test
    void fourByteFormsAtTheEdgesGetTheJdksVerdict() {
        int[][] edges = {{0xF0, 0x8F}, {0xF0, 0x90}, {0xF4, 0x8F}, {0xF4, 0x90}, {0xF5, 0x80}, {0xF3, 0xBF}};
        for (int[] e : edges) {
            for (int c : new int[] {0x7F, 0x80, 0xBF, 0xC0}) {
                for (int d : new int[] {0x7F, 0x80, 0xBF, 0xC0}) {
                    byte[] four = {(byte) e[0], (byte) e[1], (byte) c, (byte) d};
                    assertThat(accepts(four)).as("%02X %02X %02X %02X", e[0], e[1], c, d)
                            .isEqualTo(jdkAccepts(four));
                }
            }
        }
    }

    @Test
    void aMessageSplitAnywhereIsJudgedAsAWhole() {
        Random random = new Random(42);
        String text = "JSON {\"t\":\"héllo wörld ✓ 𝄞 € 中文\"}";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            int first = scan(bytes, 0, cut, Utf8Validation.ACCEPT);
            assertThat(first).as("cut at %d", cut).isNotEqualTo(Utf8Validation.REJECT);
            assertThat(scan(bytes, cut, bytes.length, first)).as("cut at %d", cut).isEqualTo(Utf8Validation.ACCEPT);
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] noise = new byte[1 + random.nextInt(12)];
            random.nextBytes(noise);
            int cut = random.nextInt(noise.length + 1);
            int state = scan(noise, cut, noise.length, scan(noise, 0, cut, Utf8Validation.ACCEPT));
            assertThat(state == Utf8Validation.ACCEPT).as("%s cut at %d", java.util.HexFormat.of().formatHex(noise),
                    cut).isEqualTo(jdkAccepts(noise));
        }
    }

    @Test
    void aMessageEndingInsideACharacterIsNotAccepted() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        int state = scan(euro, 0, 2, Utf8Validation.ACCEPT);
        assertThat(state).isNotIn(Utf8Validation.ACCEPT, Utf8Validation.REJECT);
    }
}
