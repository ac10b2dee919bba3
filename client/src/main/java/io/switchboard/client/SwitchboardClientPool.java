package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.protocol.internal.Backoff;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A fixed number of {@link SwitchboardClient}s spread round-robin over several server URLs (the
 * seed guide's connection pool), for backends that publish at a rate one connection should not
 * carry alone, or that must survive the loss of one node. {@link #next()} hands out connected
 * clients in turn. A client that ends for good (a close code that forbids reconnecting, a failed
 * first connection) is replaced by a new one on the next URL, after a backoff.
 *
 * <p>Each client keeps its own reconnect and recovery behaviour; the pool only replaces clients
 * that gave up. Rooms joined on a client stay on that client: join through
 * {@link #clients()} when every connection must be in a room.
 *
 * <p>Thread-safe. The listener receives the events of every client in the pool, each client's
 * events serially, different clients' events possibly concurrently.
 */
public final class SwitchboardClientPool implements AutoCloseable {
    private final ClientConfig template;
    private final List<URI> urls;
    private final ClientListener listener;
    /** The slots; each holds the current client for that position. */
    private final AtomicReferenceArray<SwitchboardClient> slots;
    /** Next URL for a new or replacement client. */
    private final AtomicInteger nextUrl = new AtomicInteger();
    /** Round-robin cursor of {@link #next()}. */
    private final AtomicInteger cursor = new AtomicInteger();
    /** Runs replacement delays; one daemon thread per pool. */
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private volatile boolean closed;

    private SwitchboardClientPool(ClientConfig template, List<URI> urls, int size, ClientListener listener) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one URL");
        }
        if (size < 1) {
            throw new IllegalArgumentException("a pool needs at least one connection, got " + size);
        }
        this.template = template;
        this.urls = List.copyOf(urls);
        this.listener = listener == null ? ClientListener.NONE : listener;
        this.slots = new AtomicReferenceArray<>(size);
        this.backoff = Backoff.fullJitter(template.initialBackoff(), template.maxBackoff(), template.random());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "switchboard-client-pool");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Creates a pool of {@code size} clients, each configured like {@code template} with its URL
     * replaced by the next of {@code urls}. Nothing connects until {@link #connect()}.
     */
    public static SwitchboardClientPool create(ClientConfig template, List<URI> urls, int size, ClientListener listener) {
        Objects.requireNonNull(template, "template");
        return new SwitchboardClientPool(template, urls, size, listener);
    }

    /** Connects every slot; completes when each has connected once (replacements included). */
    public CompletableFuture<Void> connect() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < slots.length(); i++) {
            CompletableFuture<Void> ready = new CompletableFuture<>();
            start(i, 0, ready);
            all.add(ready);
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    /**
     * The next connected client, round-robin; when none is connected, the next one that is still
     * trying (its sends wait in its queue).
     *
     * @throws IllegalStateException when the pool is closed
     */
    public SwitchboardClient next() {
        if (closed) {
            throw new IllegalStateException("pool is closed");
        }
        int n = slots.length();
        int start = Math.floorMod(cursor.getAndIncrement(), n);
        SwitchboardClient fallback = null;
        for (int i = 0; i < n; i++) {
            SwitchboardClient c = slots.get((start + i) % n);
            if (c == null) {
                continue;
            }
            if (c.state() == ConnectionState.CONNECTED) {
                return c;
            }
            if (fallback == null && c.state() != ConnectionState.CLOSED) {
                fallback = c;
            }
        }
        if (fallback == null) {
            throw new IllegalStateException("no client in the pool is connected or connecting");
        }
        return fallback;
    }

    /** A snapshot of the current clients, one per slot (a slot being replaced may hold a closed one). */
    public List<SwitchboardClient> clients() {
        List<SwitchboardClient> list = new ArrayList<>();
        for (int i = 0; i < slots.length(); i++) {
            SwitchboardClient c = slots.get(i);
            if (c != null) {
                list.add(c);
            }
        }
        return list;
    }

    /** Closes every client and stops replacing them. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (SwitchboardClient c : clients()) {
            closing.add(c.closeAsync());
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // best effort, as SwitchboardClient.close()
        }
    }

    private void start(int slot, int failures, CompletableFuture<Void> ready) {
        if (closed) {
            return;
        }
        URI uri = urls.get(Math.floorMod(nextUrl.getAndIncrement(), urls.size()));
        ClientConfig config = template.toBuilder().uri(uri).build();
        SwitchboardClient client = SwitchboardClients.create(config, new SlotListener(slot));
        slots.set(slot, client);
        client.connect().whenComplete((w, error) -> {
            if (error == null) {
                ready.complete(null);
            } else {
                replaceLater(slot, failures + 1, ready);
            }
        });
    }

    private void replaceLater(int slot, int failures, CompletableFuture<Void> ready) {
        if (closed) {
            return;
        }
        Duration delay = backoff.delay(failures - 1);
        try {
            scheduler.schedule(() -> start(slot, failures, ready), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed concurrently
        }
    }

    /** Forwards every event to the pool's listener and replaces the client when it closes for good. */
    private final class SlotListener implements ClientListener {
        private final int slot;
        private boolean connectedOnce;

        SlotListener(int slot) {
            this.slot = slot;
        }

        @Override
        public void onStateChange(ConnectionState state) {
            listener.onStateChange(state);
            if (state == ConnectionState.CONNECTED) {
                connectedOnce = true;
            }
            // A first connection that failed is replaced by start()'s connect callback; this covers
            // a client that had connected and then ended for good.
            if (state == ConnectionState.CLOSED && connectedOnce && !closed) {
                replaceLater(slot, 1, new CompletableFuture<>());
            }
        }

        @Override
        public void onConnected(Welcome welcome, boolean reconnect) {
            listener.onConnected(welcome, reconnect);
        }

        @Override
        public void onDisconnected(Disconnect disconnect) {
            listener.onDisconnected(disconnect);
        }

        @Override
        public void onServerShutdown(long reconnectAfterMs) {
            listener.onServerShutdown(reconnectAfterMs);
        }

        @Override
        public void onDirectMessage(DirectMessage message) {
            listener.onDirectMessage(message);
        }

        @Override
        public void onBinary(byte[] frame) {
            listener.onBinary(frame);
        }

        @Override
        public void onError(ServerError error) {
            listener.onError(error);
        }

        @Override
        public void onServerMessage(JsonNode message) {
            listener.onServerMessage(message);
        }

        @Override
        public void onRoomMessage(RoomMessage message) {
            listener.onRoomMessage(message);
        }

        @Override
        public void onJoined(RoomJoined joined) {
            listener.onJoined(joined);
        }

        @Override
        public void onRecoveryFailed(RoomJoined joined) {
            listener.onRecoveryFailed(joined);
        }

        @Override
        public void onMemberJoined(String room, Member member) {
            listener.onMemberJoined(room, member);
        }

        @Override
        public void onMemberLeft(String room, Member member) {
            listener.onMemberLeft(room, member);
        }
    }
}
