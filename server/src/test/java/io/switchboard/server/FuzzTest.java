package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A property test: thousands of random and mutated protocol messages (seeded, so a failure replays with
 * {@code -Dfuzz.seed=N}) against the real server. Properties: nothing is logged at ERROR (no command or
 * frame ends in an unexpected exception), a probe connection's ping is answered throughout and the probe
 * stays connected (liveness, with no bound on speed: that holds on a loaded machine too), and the server
 * still welcomes a new client at the end.
 */
class FuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 20261123L);
    private static final int MESSAGES = 3000;
    private static final String[] COMMANDS = {
        "{\"type\":\"ping\",\"id\":1}",
        "{\"type\":\"echo\",\"content\":\"hi\",\"data\":{\"a\":[1,2,{\"b\":null}]}}",
        "{\"type\":\"join_room\",\"room\":\"lobby\",\"id\":\"j\"}",
        "{\"type\":\"join_room\",\"room\":\"lobby\",\"since\":{\"offset\":3,\"epoch\":\"e\"}}",
        "{\"type\":\"leave_room\",\"room\":\"lobby\"}",
        "{\"type\":\"room_message\",\"room\":\"lobby\",\"content\":\"x\",\"echo\":true,\"id\":9}",
        "{\"type\":\"private_message\",\"to\":\"fuzzer\",\"content\":\"p\"}",
        "{\"type\":\"broadcast\",\"content\":\"b\"}",
        "{\"type\":\"presence\",\"room\":\"lobby\"}",
        "{\"type\":\"history\",\"room\":\"lobby\",\"since\":0,\"limit\":5}",
        "{\"type\":\"refresh\",\"token\":\"abc\"}",
        "{\"type\":\"join\",\"room_id\":\"lobby\"}",
        "{\"type\":\"broadcast\",\"room_id\":\"lobby\",\"content\":\"alias\"}",
    };
    private static final String[] VALUES = {
        "null", "true", "-1", "0", "1e309", "-9223372036854775809", "18446744073709551616", "\"\"", "\"\\u0000\"",
        "\"\\ud800\"", "[]", "{}", "[[[[[[[[[[]]]]]]]]]]", "\"" + "r".repeat(200) + "\"", "\"lobby\"", "\"a b\"",
        "{\"offset\":-5,\"epoch\":7}", "\"💥\"", "1.5", "\"../../etc\"",
    };
    private static final String[] FIELDS = {"type", "id", "room", "room_id", "content", "data", "to", "since",
        "limit", "echo", "token", "offset"};

    @Test
    void randomAndMutatedMessagesNeverCrashStallOrLogAnError() {
        ListAppender<ILoggingEvent> errors = new ListAppender<>();
        errors.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(errors);
        Random random = new Random(SEED);
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(1_000_000);
        s.security.rateLimitBurst(1_000_000);
        try (SwitchboardServer server = s.start(); WsClient probe = WsClient.welcomed(server.port(), "probe")) {
            WsClient fuzzer = WsClient.welcomed(server.port(), "fuzzer");
            int reconnects = 0;
            for (int i = 0; i < MESSAGES; i++) {
                if (fuzzer.closeCode.isDone()) {
                    fuzzer.close();
                    fuzzer = WsClient.welcomed(server.port(), "fuzzer");
                    reconnects++;
                }
                try {
                    if (random.nextInt(10) == 0) {
                        fuzzer.sendBinary(randomBinary(random));
                    } else {
                        fuzzer.send(randomText(random));
                    }
                } catch (RuntimeException closedMeanwhile) {
                    // the server closed it (1003, 1008, 1009): reconnect on the next round
                }
                if (i % 250 == 0) {
                    // Liveness, not speed: this probe's own pong arrives and the probe stays connected.
                    probe.send("{\"type\":\"ping\",\"id\":" + i + "}");
                    assertThat(probe.nextOfType("pong").path("id").asInt(-1)).as("pong to probe %d", i).isEqualTo(i);
                    assertThat(probe.closeCode.isDone()).as("probe closed at %d", i).isFalse();
                }
            }
            fuzzer.close();
            try (WsClient after = WsClient.welcomed(server.port(), "after")) {
                after.send("{\"type\":\"ping\"}");
                after.next("pong");
            }
            assertThat(reconnects).as("connections the server closed").isLessThan(MESSAGES);
        } finally {
            root.detachAppender(errors);
        }
        assertThat(errors.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage).toList()).as("ERROR log lines (seed %d)", SEED).isEmpty();
    }

    private static String randomText(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> COMMANDS[r.nextInt(COMMANDS.length)];
            case 1 -> mutateChars(COMMANDS[r.nextInt(COMMANDS.length)], r);
            case 2 -> replaceValue(COMMANDS[r.nextInt(COMMANDS.length)], r);
            case 3 -> randomObject(r);
            case 4 -> "[".repeat(1 + r.nextInt(5000)) + "]".repeat(r.nextInt(3));
            default -> {
                String c = COMMANDS[r.nextInt(COMMANDS.length)];
                yield c.substring(0, r.nextInt(c.length()));
            }
        };
    }

    private static String mutateChars(String s, Random r) {
        char[] chars = s.toCharArray();
        for (int n = 1 + r.nextInt(4); n > 0; n--) {
            chars[r.nextInt(chars.length)] = (char) (32 + r.nextInt(95));
        }
        return new String(chars);
    }

    private static String replaceValue(String s, Random r) {
        String field = FIELDS[r.nextInt(FIELDS.length)];
        String value = VALUES[r.nextInt(VALUES.length)];
        return s.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[^,}]+)", "\"" + field + "\":"
                + java.util.regex.Matcher.quoteReplacement(value));
    }

    private static String randomObject(Random r) {
        List<String> parts = new ArrayList<>();
        for (int n = r.nextInt(6); n >= 0; n--) {
            parts.add("\"" + FIELDS[r.nextInt(FIELDS.length)] + "\":" + VALUES[r.nextInt(VALUES.length)]);
        }
        return "{" + String.join(",", parts) + "}";
    }

    private static byte[] randomBinary(Random r) {
        byte[] b = new byte[r.nextInt(64)];
        r.nextBytes(b);
        if (b.length > 0 && r.nextBoolean()) {
            b[0] = new byte[] {0x01, 0x02, 0x10}[r.nextInt(3)];
        }
        return b;
    }
}
