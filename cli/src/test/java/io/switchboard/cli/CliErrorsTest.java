package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bad input on the command line is answered in words, in one place, never with a stack trace. */
class CliErrorsTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static void assertNoStackTrace(Run r) {
        assertThat(r.out() + r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aUrlWithoutSchemeIsExplainedWithTheUrlItMeant() {
        Run r = run("connect", "127.0.0.1:18080/ws");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("switchboard connect: not a WebSocket URL: '127.0.0.1:18080/ws' has no ws://"
                + " or wss:// (did you mean ws://127.0.0.1:18080/ws?)").contains("Try 'switchboard connect --help'.");
        assertNoStackTrace(r);
    }

    @Test
    void aUrlThatDoesNotParseSaysWhereAndWhy() {
        Run r = run("connect", "ws://127.0.0.1:18080/ws?id=alice smith");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("switchboard connect: not a WebSocket URL (like ws://127.0.0.1:8080/ws?id=alice):"
                + " 'ws://127.0.0.1:18080/ws?id=alice smith': Illegal character in query at character 33");
        assertNoStackTrace(r);
    }

    @Test
    void aBadBenchDurationIsAUsageErrorInOneLine() {
        Run r = run("bench", "fanout", "--duration", "1x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("switchboard bench: --duration must look like 500ms, 10s, 2m or 1h, got '1x'");
        assertNoStackTrace(r);
    }

    @Test
    void aRefusedConnectionIsReportedOnceAndPlainly() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Run r = run("connect", "--no-reconnect", "ws://127.0.0.1:" + port + "/ws?id=alice");
        assertThat(r.code()).isEqualTo(1);
        String all = r.out() + r.err();
        assertThat(all).contains("connect failed: connection refused (127.0.0.1:" + port
                + "); is the server running on that port?");
        assertThat(all.split("connection refused", -1)).as("said once").hasSize(2);
        assertNoStackTrace(r);
    }
}
