package io.switchboard.nats;

import java.time.Instant;

/**
 * One message of a room as the JetStream history keeps it: its stream sequence, room offset and epoch (offset 0
 * for a lineage marker), when it was stored, and its stored form.
 */
record HistoryEntry(long seq, long offset, String epoch, Instant time, byte[] data) {
}
