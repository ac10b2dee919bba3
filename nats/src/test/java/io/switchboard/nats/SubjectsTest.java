package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SubjectsTest {
    /** The channel alphabet of the Broker contract. */
    private static final String ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@/-";
    private final Subjects subjects = new Subjects("switchboard");

    @Test
    void oddChannelNamesRoundTrip() {
        for (String channel : List.of("a.b", "..", "x_y", "@/:-", ".", "_", "-", "a", "room.chat:general/x@y-z_1")) {
            String subject = subjects.subject(channel);
            assertValidSingleTokenSubject(subject);
            assertThat(subjects.channel(subject)).as(subject).isEqualTo(channel);
        }
    }

    @Test
    void escapesEverythingButLettersDigitsAndDash() {
        assertThat(subjects.subject("a.b")).isEqualTo("switchboard.a_2Eb");
        assertThat(subjects.subject("x_y")).isEqualTo("switchboard.x_5Fy");
        assertThat(subjects.subject("@/:-")).isEqualTo("switchboard._40_2F_3A-");
        assertThat(subjects.subject("..")).isEqualTo("switchboard._2E_2E");
        assertThat(subjects.subject("Room-7")).isEqualTo("switchboard.Room-7");
    }

    @Test
    void randomChannelsOfTheContractAlphabetRoundTripAndNeverCollide() {
        SplittableRandom random = new SplittableRandom(42);
        Map<String, String> channelBySubject = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            int length = 1 + random.nextInt(i % 10 == 0 ? Subjects.MAX_CHANNEL_CHARS : 6);
            StringBuilder sb = new StringBuilder(length);
            for (int j = 0; j < length; j++) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String channel = sb.toString();
            String subject = subjects.subject(channel);
            assertValidSingleTokenSubject(subject);
            assertThat(subjects.channel(subject)).isEqualTo(channel);
            String before = channelBySubject.putIfAbsent(subject, channel);
            assertThat(before == null || before.equals(channel)).as("%s and %s share %s", before, channel, subject)
                    .isTrue();
        }
    }

    @Test
    void channelsBeyondAsciiRoundTripToo() {
        String channel = "salle.été/日本";
        assertThat(subjects.channel(subjects.subject(channel))).isEqualTo(channel);
    }

    @Test
    void subjectsThisMappingNeverMakesDecodeToNull() {
        assertThat(subjects.channel("other.a")).isNull();
        assertThat(subjects.channel("switchboard.")).isNull();
        assertThat(subjects.channel("switchboard.a.b")).isNull();
        assertThat(subjects.channel("switchboard.a_2")).isNull();
        assertThat(subjects.channel("switchboard.a_2e")).isNull(); // lower-case hex is never written
        assertThat(subjects.channel("switchboard._61")).isNull(); // 'a' is written as itself
        assertThat(subjects.channel("switchboard.a b")).isNull();
        assertThat(subjects.channel(null)).isNull();
    }

    @Test
    void aMultiTokenPrefixIsKept() {
        Subjects nested = new Subjects("acme.prod.sb");
        assertThat(nested.subject("r.1")).isEqualTo("acme.prod.sb.r_2E1");
        assertThat(nested.channel("acme.prod.sb.r_2E1")).isEqualTo("r.1");
        assertThat(nested.channel("switchboard.r_2E1")).isNull();
    }

    @Test
    void rejectsEmptyAndOverlongChannels() {
        assertThatThrownBy(() -> subjects.subject("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> subjects.subject("c".repeat(Subjects.MAX_CHANNEL_CHARS + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("channel must have 1 to 200 characters, got 201");
        assertThat(subjects.subject("c".repeat(Subjects.MAX_CHANNEL_CHARS))).hasSize(12 + 200);
    }

    /** Exactly the prefix tokens plus one; no wildcard, no whitespace, no empty token. */
    private static void assertValidSingleTokenSubject(String subject) {
        assertThat(subject).startsWith("switchboard.");
        String token = subject.substring("switchboard.".length());
        assertThat(token).isNotEmpty().matches("[A-Za-z0-9_-]+");
    }
}
