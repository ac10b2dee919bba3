package io.switchboard.server.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.hooks.LifecycleEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool's files: segments that roll and go once acknowledged, the mark, numbering across restarts. */
class SpoolTest {
    /** About five events a segment. */
    private static final long SEGMENT_BYTES = 1000;

    @TempDir
    Path dir;

    private static LifecycleEvent event(int n) {
        return new LifecycleEvent("n1-run-" + n, LifecycleEvent.Type.JOIN, 1_733_534_400_000L + n, "n1", "user" + n,
                "c-n1-" + n, "room \"" + n + "\"\n", n % 2 == 0 ? null : "client_close");
    }

    private List<Path> segments() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("events-")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long firstSeq(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring("events-".length(), name.length() - ".jsonl".length()));
    }

    @Test
    void segmentsRollAtTheirSizeAndThoseWhollyAcknowledgedAreDeleted() throws IOException {
        try (Spool spool = Spool.open(dir, SEGMENT_BYTES)) {
            List<QueuedEvent> written = new ArrayList<>();
            for (int i = 1; i <= 60; i++) {
                written.addAll(spool.append(List.of(event(i))));
            }
            assertThat(written).extracting(QueuedEvent::seq).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, 60).boxed().toList());
            List<Path> all = segments();
            assertThat(all).hasSizeGreaterThanOrEqualTo(8);
            long diskBefore = size(all);

            spool.markDone(30);
            assertThat(spool.pending()).isEqualTo(30);
            List<Path> left = segments();
            // Gone: every segment whose successor begins at or before 31. Kept: the one holding 31 and later.
            assertThat(left).allSatisfy(p -> assertThat(p).exists());
            assertThat(all).filteredOn(p -> !left.contains(p)).allSatisfy(p -> {
                int i = all.indexOf(p);
                assertThat(firstSeq(all.get(i + 1))).isLessThanOrEqualTo(31);
            });
            assertThat(firstSeq(left.get(0))).isLessThanOrEqualTo(31);
            assertThat(left.size()).isLessThan(all.size());
            assertThat(size(left)).isLessThan(diskBefore);

            spool.markDone(60);
            assertThat(spool.pending()).isZero();
            assertThat(segments()).as("at most the segment appended to").hasSizeLessThanOrEqualTo(1);
        }
        assertThat(Files.readString(dir.resolve("done")).trim()).isEqualTo("60");
    }

    private static long size(List<Path> files) throws IOException {
        long total = 0;
        for (Path p : files) {
            total += Files.size(p);
        }
        return total;
    }

    @Test
    void aRestartFindsTheEventsAfterTheMarkInOrderAndNumbersOnFromTheLast() throws IOException {
        List<QueuedEvent> written;
        try (Spool spool = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            written = new ArrayList<>(spool.append(List.of(event(1), event(2), event(3))));
            written.addAll(spool.append(List.of(event(4), event(5))));
            spool.markDone(2);
        }
        try (Spool spool = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            assertThat(spool.takeRecovered()).containsExactlyElementsOf(written.subList(2, 5));
            assertThat(spool.takeRecovered()).isEmpty();
            assertThat(spool.pending()).isEqualTo(3);
            assertThat(spool.append(List.of(event(6)))).extracting(QueuedEvent::seq).containsExactly(6L);
            assertThat(segments()).as("a new segment for the new run").hasSize(2);
            spool.markDone(6);
            assertThat(segments()).as("only the one appended to").hasSize(1);
        }
        try (Spool spool = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            assertThat(spool.takeRecovered()).isEmpty();
            assertThat(segments()).as("fully acknowledged segments go at start").isEmpty();
            assertThat(spool.append(List.of(event(7)))).extracting(QueuedEvent::seq).containsExactly(7L);
        }
    }

    @Test
    void anUnreadableMarkSendsEverythingAgainRatherThanNothing() throws IOException {
        try (Spool spool = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            spool.append(List.of(event(1), event(2)));
            spool.markDone(1);
        }
        Files.writeString(dir.resolve("done"), "", StandardCharsets.US_ASCII); // a rename torn by a power loss
        try (Spool spool = Spool.open(dir, Spool.SEGMENT_BYTES)) {
            assertThat(spool.takeRecovered()).extracting(QueuedEvent::seq).containsExactly(1L, 2L);
        }
    }
}
