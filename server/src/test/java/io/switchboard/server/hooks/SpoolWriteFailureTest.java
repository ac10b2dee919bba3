package io.switchboard.server.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.switchboard.core.hooks.LifecycleEvent;
import io.switchboard.server.TestBackend;
import io.switchboard.server.config.Hooks;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The spool thread after a failure no input causes: a segment write that throws an unchecked exception, made to
 * through {@link Spool.SegmentWriter}. Real files, and a real HTTP backend the events are posted to.
 */
class SpoolWriteFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    /** Writes as production does; once armed, one write puts half its bytes in the segment and throws. */
    private static final class FailingOnce implements Spool.SegmentWriter {
        final AtomicBoolean armed = new AtomicBoolean();
        /** Every call: the thread and the segment it wrote to, and whether it threw. */
        final List<Call> calls = new ArrayList<>();

        record Call(Thread thread, FileChannel segment, boolean threw) {
        }

        @Override
        public long write(FileChannel segment, ByteBuffer bytes) throws IOException {
            boolean fail = armed.compareAndSet(true, false);
            synchronized (calls) {
                calls.add(new Call(Thread.currentThread(), segment, fail));
            }
            if (!fail) {
                return FILE.write(segment, bytes);
            }
            ByteBuffer half = bytes.duplicate();
            half.limit(half.position() + half.remaining() / 2);
            segment.write(half); // a torn line, as a failure in the middle of a write leaves
            throw new IllegalStateException("injected: a write that fails unchecked");
        }

        List<Call> calls() {
            synchronized (calls) {
                return List.copyOf(calls);
            }
        }
    }

    private static LifecycleEvent event(int n) {
        return new LifecycleEvent("n1-run-" + n, LifecycleEvent.Type.JOIN, 1_733_534_400_000L + n, "n1", "user" + n,
                "c-n1-" + n, "r", null);
    }

    /** Emits events {@code from} to {@code to}; returns their ids. */
    private static List<String> emit(WebhookSender sender, int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int n = from; n <= to; n++) {
            sender.emit(event(n));
            ids.add(event(n).id());
        }
        return ids;
    }

    private static List<String> delivered(TestBackend backend) {
        return backend.events().stream().map(e -> e.path("id").asText()).toList();
    }

    @Test
    void anUncheckedWriteFailureKeepsTheSpoolThreadRunningLosesNoEventAndLeavesTheSegmentForANewOne()
            throws Exception {
        TestBackend backend = closer.add(TestBackend.start());
        FailingOnce writer = new FailingOnce();
        WebhookSender sender = new WebhookSender(Hooks.builder().url(backend.url("/events"))
                .secret("spool-failure-secret-0123456789").spoolDir(dir.toString())
                .batchMaxDelay(Duration.ofMillis(10)).timeout(Duration.ofSeconds(1)).build(),
                Spool.SEGMENT_BYTES, writer);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger senderLog = (Logger) LoggerFactory.getLogger(WebhookSender.class);
        senderLog.addAppender(log);
        try {
            closer.add(sender);
            sender.start();
            List<String> emitted = new ArrayList<>(emit(sender, 1, 5));
            Await.until("the first events delivered", WAIT, () -> delivered(backend).size() == 5);

            writer.armed.set(true);
            emitted.addAll(emit(sender, 6, 10));
            Await.until("the failed write", WAIT, () -> writer.calls().stream().anyMatch(FailingOnce.Call::threw));
            emitted.addAll(emit(sender, 11, 15));
            Await.until("every event delivered", WAIT, () -> delivered(backend).size() >= 15);
            assertThat(delivered(backend)).containsExactlyElementsOf(emitted);

            List<FailingOnce.Call> calls = writer.calls();
            FailingOnce.Call failed = calls.stream().filter(FailingOnce.Call::threw).findFirst().orElseThrow();
            List<FailingOnce.Call> after = calls.subList(calls.indexOf(failed) + 1, calls.size());
            assertThat(after).as("writes after the failure").isNotEmpty().allSatisfy(c -> {
                assertThat(c.thread()).as("the same spool thread").isSameAs(failed.thread());
                assertThat(c.segment()).as("a new segment").isNotSameAs(failed.segment());
            });
            assertThat(failed.thread().isAlive()).as("the spool thread runs on").isTrue();
            assertThat(log.list).anySatisfy(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.ERROR);
                assertThat(e.getFormattedMessage()).startsWith("webhooks: writing ").endsWith(
                        " events to the spool " + dir + " failed; they wait in memory only");
            });
        } finally {
            senderLog.detachAppender(log);
        }

        sender.close();
        // Every event was acknowledged: a restart sends none of them again, torn line or not.
        try (Spool reopened = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            assertThat(reopened.takeRecovered()).isEmpty();
            assertThat(reopened.pending()).isZero();
        }
    }
}
