package io.switchboard.server.hooks;

import io.switchboard.core.hooks.LifecycleEvent;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook spool ({@code hooks.spoolDir}): events are written here before they count as queued, with the mark
 * of those that need no sending any more, so that a node that stops, or dies (kill -9), sends again at its next
 * start every event the backend did not acknowledge, in order and under the same ids.
 *
 * <p>The directory holds:
 * <ul>
 *   <li>{@code lock}: locked ({@link FileChannel#tryLock}) while a node uses the directory; a second node is
 *       refused, since two nodes appending to one spool would each re-send the other's events.</li>
 *   <li>{@code events-<seq>.jsonl}: segments, appended to only, one event per line as {@link EventJson#line}
 *       writes it, {@code <seq>} (20 digits) the number of its first event. Numbers increase by one per event
 *       across segments and restarts. A new segment begins once one has {@code segmentBytes}, and at every
 *       start: an old segment, whose last line a crash may have torn, is never appended to again.</li>
 *   <li>{@code done}: the mark, a decimal number: every event up to it was acknowledged (2xx) or dropped.
 *       Replaced atomically: written to {@code done.tmp}, forced, renamed over the old one.</li>
 * </ul>
 *
 * <p>Durability (fsync policy): {@link #append} forces the segment (fdatasync) once per call, that is once per
 * group of events the spool thread takes from the intake, before they count as queued; the mark is forced before
 * its rename; the directory is forced after a segment is created and after the mark is renamed. A process that
 * is killed loses nothing written (the page cache outlives it); the forcing is for an OS crash or power loss.
 * What a kill can still take is what the spool thread had not yet written: the events of the last moment.
 *
 * <p>Bounded: the sender marks drops as well as acknowledgements (a dropped event is older than any it keeps,
 * except the batch in flight, which is then also not sent again after a restart), so the events after the mark
 * are at most {@code hooks.maxQueued} plus a batch plus what the intake holds; a segment all of whose events are
 * at or before the mark is deleted, except the one being appended to.
 *
 * <p>Recovery: {@link #open} reads the segments in order and keeps the events after the mark; a line that is not a
 * whole event (the last line, torn by a crash mid-write) is skipped with a warning, as is an unreadable mark
 * (then everything still on disk is sent again: at least once).
 *
 * <p>Thread-safe: the spool thread appends, the sender's thread marks; neither is an event loop.
 */
final class Spool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    /** 8 MiB, some 40,000 events: few files even at {@code hooks.maxQueued}'s ceiling, little kept past the mark. */
    static final long SEGMENT_BYTES = 8L << 20;
    private static final String KEY = "hooks.spoolDir";
    private static final String LOCK = "lock";
    private static final String MARK = "done";
    private static final String MARK_TMP = "done.tmp";
    private static final String PREFIX = "events-";
    private static final String SUFFIX = ".jsonl";
    /**
     * The directories this JVM has open. Checked before the lock file is opened: on Linux a file lock belongs to
     * the process, so a second node of the same JVM would be granted it, and its closing the file would release it.
     */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    /**
     * How {@link #append} puts a group of events into the segment: all of {@code bytes} written, then forced.
     * A seam for tests: no input makes a write fail with anything but an {@link IOException}, yet the answer to
     * any other failure (the segment is never appended to again, the sender keeps the events in memory and goes
     * on) needs a test. Production writes through {@link #FILE}.
     */
    @FunctionalInterface
    interface SegmentWriter {
        /** Writes to the file and forces its data (fdatasync). */
        SegmentWriter FILE = (segment, bytes) -> {
            long written = 0;
            while (bytes.hasRemaining()) {
                written += segment.write(bytes);
            }
            segment.force(false);
            return written;
        };

        /** Writes all that remains of {@code bytes} to {@code segment} and forces it; returns the bytes written. */
        long write(FileChannel segment, ByteBuffer bytes) throws IOException;
    }

    /** The directory's real path, also its entry in {@link #OPEN}. */
    private final Path dir;
    private final long segmentBytes;
    private final SegmentWriter writer;
    private final FileChannel lockFile;
    private final FileLock lock;
    /** Every segment on disk by its first number, oldest first; the last is {@link #current}'s when it is open. */
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    /** The events found at {@link #open}, after the mark, until {@link #takeRecovered}. */
    private List<QueuedEvent> recovered = List.of();
    /** The segment appended to; null before the first append and after a roll. */
    private FileChannel current;
    private long currentBytes;
    /** The number of the next event appended. */
    private long nextSeq;
    /** The mark: every event up to it was acknowledged or dropped. */
    private long done;
    /** Events after the mark, for the gauge. */
    private volatile long pending;
    private boolean closed;

    private Spool(Path dir, long segmentBytes, SegmentWriter writer, FileChannel lockFile, FileLock lock) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.writer = writer;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /**
     * Creates the directory if need be, locks it and reads what a previous run left.
     *
     * @throws IOException naming {@code hooks.spoolDir} when the directory cannot be created or read, or another
     *     node holds it
     */
    static Spool open(Path dir, long segmentBytes) throws IOException {
        return open(dir, segmentBytes, SegmentWriter.FILE);
    }

    /** {@link #open(Path, long)} writing segments through {@code writer}: tests make a write fail. */
    static Spool open(Path dir, long segmentBytes, SegmentWriter writer) throws IOException {
        Path key;
        try {
            Files.createDirectories(dir);
            key = dir.toRealPath();
        } catch (IOException e) {
            throw new IOException(KEY + " " + dir + " cannot be created or is not a directory: " + e, e);
        }
        if (!OPEN.add(key)) {
            throw locked(dir);
        }
        FileChannel lockFile = null;
        try {
            lockFile = FileChannel.open(key.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw locked(dir);
            }
            Spool spool = new Spool(key, segmentBytes, writer, lockFile, lock);
            spool.recover();
            return spool;
        } catch (IOException | RuntimeException e) {
            if (lockFile != null) {
                lockFile.close();
            }
            OPEN.remove(key);
            if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(KEY)) {
                throw io;
            }
            throw new IOException(KEY + " " + dir + " cannot be used: " + e, e);
        }
    }

    private static IOException locked(Path dir) {
        return new IOException(KEY + " " + dir + " is locked by another running Switchboard node; every node needs a"
                + " spool directory of its own");
    }

    private void recover() throws IOException {
        done = readMark();
        long last = done;
        List<QueuedEvent> events = new ArrayList<>();
        for (Map.Entry<Long, Path> segment : list().entrySet()) {
            long lastInSegment = read(segment.getValue(), events);
            last = Math.max(last, lastInSegment);
            if (lastInSegment <= done) {
                Files.deleteIfExists(segment.getValue());
            } else {
                segments.put(segment.getKey(), segment.getValue());
            }
        }
        Files.deleteIfExists(dir.resolve(MARK_TMP));
        nextSeq = last + 1;
        pending = nextSeq - 1 - done;
        recovered = events;
    }

    /** Adds the events after the mark to {@code events}; returns the last number in the segment, or -1. */
    private long read(Path segment, List<QueuedEvent> events) throws IOException {
        long last = -1;
        // A decoder that replaces, not one that throws: a line torn inside a character is skipped like any other.
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(segment),
                StandardCharsets.UTF_8))) {
            String line;
            for (int n = 1; (line = in.readLine()) != null; n++) {
                if (line.isEmpty()) {
                    continue;
                }
                QueuedEvent event;
                try {
                    event = EventJson.parseLine(line);
                } catch (IOException e) {
                    log.warn("webhooks: skipping line {} of {}, which is not a whole event (a write torn by a crash):"
                            + " {}", n, segment, e.getMessage());
                    continue;
                }
                last = Math.max(last, event.seq());
                if (event.seq() > done) {
                    events.add(event);
                }
            }
        }
        return last;
    }

    /** The segments on disk by first number. */
    private TreeMap<Long, Path> list() throws IOException {
        TreeMap<Long, Path> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                    try {
                        found.put(Long.parseLong(name, PREFIX.length(), name.length() - SUFFIX.length(), 10), p);
                    } catch (NumberFormatException e) {
                        log.warn("webhooks: ignoring {} in the spool: not a segment name", p);
                    }
                }
            }
        }
        return found;
    }

    private long readMark() {
        try {
            return Long.parseLong(Files.readString(dir.resolve(MARK), StandardCharsets.UTF_8).trim());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            log.warn("webhooks: the spool's mark {} is unreadable ({}); every event in the spool is sent again",
                    dir.resolve(MARK), e.toString());
            return 0;
        }
    }

    /** The events a previous run left unacknowledged, in order; empty on the second call. */
    synchronized List<QueuedEvent> takeRecovered() {
        List<QueuedEvent> events = recovered;
        recovered = List.of();
        return events;
    }

    /**
     * Writes the events at the end of the spool and forces them to disk; returns them numbered. On failure the
     * numbers are used up all the same (part of the write may be on disk) and the next call begins a new segment.
     */
    synchronized List<QueuedEvent> append(List<LifecycleEvent> events) throws IOException {
        if (closed) {
            throw new IOException("the spool is closed");
        }
        if (events.isEmpty()) {
            return List.of();
        }
        List<QueuedEvent> numbered = new ArrayList<>(events.size());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(200 * events.size());
        for (LifecycleEvent e : events) {
            QueuedEvent q = new QueuedEvent(nextSeq++, e);
            numbered.add(q);
            bytes.writeBytes(EventJson.line(q));
        }
        pending = nextSeq - 1 - done;
        try {
            if (current == null) {
                begin(numbered.get(0).seq());
            }
            currentBytes += writer.write(current, ByteBuffer.wrap(bytes.toByteArray()));
        } catch (IOException | RuntimeException e) {
            roll(); // whatever failed, the segment may end in a torn line: never append to it again
            throw e;
        }
        if (currentBytes >= segmentBytes) {
            roll();
        }
        return numbered;
    }

    private void begin(long firstSeq) throws IOException {
        Path file = dir.resolve(PREFIX + String.format("%020d", firstSeq) + SUFFIX);
        current = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        currentBytes = 0;
        segments.put(firstSeq, file);
        forceDirectory();
    }

    /** Closes the segment appended to: the next append begins a new one. */
    private void roll() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                log.warn("webhooks: closing a spool segment failed", e);
            }
            current = null;
        }
    }

    /**
     * Moves the mark to {@code seq} if it is further on: every event up to it was acknowledged or dropped and is
     * not sent again after a restart. Deletes the segments that hold nothing after the mark.
     */
    synchronized void markDone(long seq) throws IOException {
        if (seq <= done || closed) {
            return;
        }
        done = seq;
        pending = Math.max(0, nextSeq - 1 - done);
        Path tmp = dir.resolve(MARK_TMP);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap((seq + "\n").getBytes(StandardCharsets.US_ASCII));
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(tmp, dir.resolve(MARK), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
        deleteDone();
    }

    /** Deletes each segment whose events are all at or before the mark, except the one appended to. */
    private void deleteDone() throws IOException {
        while (!segments.isEmpty()) {
            Map.Entry<Long, Path> oldest = segments.firstEntry();
            Long next = segments.higherKey(oldest.getKey());
            boolean appendedTo = next == null && current != null;
            long end = next != null ? next : nextSeq; // one past its last event
            if (appendedTo || end - 1 > done) {
                return;
            }
            Files.deleteIfExists(oldest.getValue());
            segments.remove(oldest.getKey());
        }
    }

    /** Makes a created or renamed file's name durable; where a directory cannot be opened, the OS does it. */
    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not supported on this platform (Windows): the rename itself is atomic there
        }
    }

    /** Events written and not yet acknowledged or dropped. */
    long pending() {
        return pending;
    }

    Path dir() {
        return dir;
    }

    /** Closes the segment and releases the directory. What is after the mark stays for the next start. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        roll();
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            log.warn("webhooks: releasing the spool's lock failed", e);
        } finally {
            OPEN.remove(dir);
        }
    }
}
