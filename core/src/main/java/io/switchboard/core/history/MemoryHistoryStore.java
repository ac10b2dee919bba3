package io.switchboard.core.history;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.TimeSource;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * History kept in this process: per room a ring of the last {@code size} messages, each dropped once
 * older than {@code ttl}. Thread-safe; per-room state is guarded by the room's entry monitor.
 *
 * <p>Nothing survives a restart, so every room history gets a fresh random epoch when it is created:
 * after a restart, or after an idle room's history was swept, clients that ask to recover get
 * {@code recovered:false} instead of offsets that silently restarted.
 */
public final class MemoryHistoryStore implements HistoryStore {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Idempotency keys remembered per room at most. */
    static final int MAX_IDEMPOTENCY_KEYS = 10_000;

    private final Retention.Lookup retention;
    private final TimeSource time;
    private final ConcurrentHashMap<String, RoomHistory> rooms = new ConcurrentHashMap<>();

    /** The same retention for every room. */
    public MemoryHistoryStore(int size, Duration ttl, TimeSource time) {
        this(Retention.Lookup.fixed(size, ttl), time);
    }

    /** Each room's retention as {@code retention} says when the room's history is created. */
    public MemoryHistoryStore(Retention.Lookup retention, TimeSource time) {
        this.retention = retention;
        this.time = time;
    }

    private RoomHistory history(String room) {
        return rooms.computeIfAbsent(room, r -> new RoomHistory(retention.retention(r)));
    }

    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content,
                                               JsonNode data, long ts) {
        RoomHistory h = history(room);
        synchronized (h) {
            RoomMessage m = new RoomMessage(room, from, connId, content, data, h.lastOffset + 1, ts);
            h.lastOffset = m.offset();
            h.lastAppendMillis = time.currentTimeMillis();
            h.add(m);
            return CompletableFuture.completedFuture(new Appended(m, h.epoch));
        }
    }

    /**
     * Keys are remembered per room in arrival order, at most {@value #MAX_IDEMPOTENCY_KEYS} per room; beyond,
     * the oldest is forgotten early (a repeat of it is then published again), so a room's memory stays bounded
     * whatever clients send.
     */
    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content, JsonNode data,
                                            long ts, String idempotencyKey, Duration window) {
        if (idempotencyKey == null) {
            return append(room, from, connId, content, data, ts);
        }
        RoomHistory h = history(room);
        synchronized (h) {
            long now = time.currentTimeMillis();
            h.forgetKeysBefore(now);
            Long first = h.keys.get(idempotencyKey);
            if (first != null) {
                return CompletableFuture.completedFuture(new Appended(
                        new RoomMessage(room, from, connId, content, data, first, ts), h.epoch, true));
            }
            Appended appended = append(room, from, connId, content, data, ts).toCompletableFuture().join();
            h.remember(idempotencyKey, appended.message().offset(), now + window.toMillis());
            return CompletableFuture.completedFuture(appended);
        }
    }

    @Override
    public CompletionStage<Position> position(String room) {
        RoomHistory h = history(room);
        synchronized (h) {
            return CompletableFuture.completedFuture(new Position(h.lastOffset, h.epoch));
        }
    }

    @Override
    public CompletionStage<Recovery> recover(String room, long offset, String epoch) {
        return CompletableFuture.completedFuture(recoverNow(room, offset, epoch));
    }

    private Recovery recoverNow(String room, long offset, String epoch) {
        RoomHistory h = history(room);
        synchronized (h) {
            Position position = new Position(h.lastOffset, h.epoch);
            if (!h.epoch.equals(epoch) || offset > h.lastOffset) {
                return new Recovery(false, List.of(), position);
            }
            if (offset == h.lastOffset) {
                return new Recovery(true, List.of(), position);
            }
            List<RoomMessage> live = h.retained(time.currentTimeMillis() - h.ttlMillis);
            if (live.isEmpty() || live.get(0).offset() > offset + 1) {
                return new Recovery(false, List.of(), position);
            }
            int from = (int) (offset + 1 - live.get(0).offset());
            return new Recovery(true, List.copyOf(live.subList(from, live.size())), position);
        }
    }

    @Override
    public CompletionStage<Page> read(String room, Long afterOffset, int limit) {
        RoomHistory h = history(room);
        synchronized (h) {
            List<RoomMessage> live = h.retained(time.currentTimeMillis() - h.ttlMillis);
            List<RoomMessage> page;
            if (afterOffset == null) {
                page = live.subList(Math.max(0, live.size() - limit), live.size());
            } else {
                int start = 0;
                while (start < live.size() && live.get(start).offset() <= afterOffset) {
                    start++;
                }
                page = live.subList(start, Math.min(live.size(), start + limit));
            }
            return CompletableFuture.completedFuture(new Page(h.epoch, List.copyOf(page)));
        }
    }

    /** Forgets rooms whose newest message expired and nobody holds; their next use starts a new epoch. */
    @Override
    public void sweep(Predicate<String> inUse) {
        long now = time.currentTimeMillis();
        rooms.forEach((room, h) -> {
            synchronized (h) {
                if (h.lastAppendMillis < now - h.ttlMillis && !inUse.test(room)) {
                    rooms.remove(room, h);
                } else {
                    // Expired messages are otherwise dropped only when the room is read or newer ones push them
                    // out: each room in use would hold history.size messages however short history.ttl (seen in the
                    // soak as a heap that grew for a quarter of an hour before the rings were full).
                    h.dropExpired(now - h.ttlMillis);
                    h.forgetKeysBefore(now);
                }
            }
        });
    }

    /** How many messages the room's ring holds now, expired ones included until dropped. For tests. */
    int held(String room) {
        RoomHistory h = rooms.get(room);
        if (h == null) {
            return 0;
        }
        synchronized (h) {
            return h.count;
        }
    }

    private static String newEpoch() {
        return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    }

    /** One room's ring; guarded by its own monitor. */
    private static final class RoomHistory {
        final String epoch = newEpoch();
        final RoomMessage[] ring;
        final long ttlMillis;
        /** Index of the oldest retained message in {@link #ring}. */
        int head;
        int count;
        long lastOffset;
        long lastAppendMillis;

        /** Idempotency key → the offset it was first published at, oldest first. */
        final java.util.HashMap<String, Long> keys = new java.util.HashMap<>();
        /** When each key of {@link #keys} expires, in the same order. */
        final java.util.ArrayDeque<Long> keyExpiries = new java.util.ArrayDeque<>();
        final java.util.ArrayDeque<String> keyOrder = new java.util.ArrayDeque<>();

        void remember(String key, long offset, long expiresAtMillis) {
            if (keys.size() >= MAX_IDEMPOTENCY_KEYS) {
                keys.remove(keyOrder.pollFirst());
                keyExpiries.pollFirst();
            }
            keys.put(key, offset);
            keyOrder.addLast(key);
            keyExpiries.addLast(expiresAtMillis);
        }

        void forgetKeysBefore(long nowMillis) {
            while (!keyExpiries.isEmpty() && keyExpiries.peekFirst() <= nowMillis) {
                keyExpiries.pollFirst();
                keys.remove(keyOrder.pollFirst());
            }
        }

        RoomHistory(Retention retention) {
            this.ring = new RoomMessage[retention.size()];
            this.ttlMillis = retention.ttl().toMillis();
        }

        void add(RoomMessage m) {
            if (ring.length == 0) {
                return;
            }
            if (count < ring.length) {
                ring[(head + count) % ring.length] = m;
                count++;
            } else {
                ring[head] = m;
                head = (head + 1) % ring.length;
            }
        }

        /** Drops the messages older than {@code cutoffMillis}. */
        void dropExpired(long cutoffMillis) {
            while (count > 0 && ring[head].ts() < cutoffMillis) {
                ring[head] = null;
                head = (head + 1) % ring.length;
                count--;
            }
        }

        /** Retained messages newer than {@code cutoffMillis}, oldest first; drops the expired ones. */
        List<RoomMessage> retained(long cutoffMillis) {
            dropExpired(cutoffMillis);
            if (count == 0) {
                return Collections.emptyList();
            }
            List<RoomMessage> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(ring[(head + i) % ring.length]);
            }
            return out;
        }
    }
}
