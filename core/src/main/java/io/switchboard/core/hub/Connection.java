package io.switchboard.core.hub;

import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.RoomPatterns;
import io.switchboard.core.limit.TokenBucket;
import io.switchboard.core.transport.Session;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The hub's record of one connection: identity and the rooms it joined. Confined to its
 * {@link #shard()}'s thread except for the final identity fields and the grants. Its heartbeat times live
 * in the shard, next to its neighbours', for the sweep.
 */
public final class Connection {
    private static final CompletableFuture<Void> NO_TURN = CompletableFuture.completedFuture(null);
    private final String connId;
    private final String userId;
    private final Session session;
    private final Shard shard;
    private final long connectedAtMillis;
    /** Registration order on this node, increasing; orders connections against node-wide notices. */
    private final long sequence;
    /** {@link TimeSource#nanoTime()} at registration, for the connection's duration. */
    private final long connectedAtNanos;

    /** Rooms joined, by name. Shard thread only. */
    final Memberships rooms = new Memberships();
    /** Joins under way (counted against the room limit). Shard thread only. */
    int joining;
    /** Position in {@link Shard}'s connection list, for O(1) removal. Shard thread only. */
    int shardIndex = -1;
    /** Set while the connection waits in its shard's flush batch. Shard thread only. */
    boolean dirty;
    /** Consecutive invalid commands; reset by a valid one. Shard thread only. */
    private int invalidStreak;
    /** Its {@code broadcast} commands' rate, made on its first; most connections never broadcast. Shard thread only. */
    private TokenBucket broadcastRate;
    /** Counted in its rooms' backlogged members ({@link Throttle}). Shard thread only. */
    boolean backloggedInRooms;
    /** The backed-up room its reads are paused for ({@link Throttle}), or null. Shard thread only. */
    Room throttledOn;
    /** Memberships holding a newest message for it ({@code delivery: latest}). Shard thread only. */
    int heldLatest;
    /** Set once {@link Hub#disconnect} ran. Shard thread only. */
    boolean removed;
    /**
     * Completes once the connection's latest proxied message was handed to the hub: the next one waits for it, so
     * messages the backend is asked about keep the order the client sent them in. Shard thread only.
     */
    private CompletableFuture<Void> proxyTurn = NO_TURN;
    /**
     * Completes once the reply to the connection's latest command that did not answer at once was sent: a later
     * reply waits for it, so replies keep the order of their commands whichever thread their store answered on.
     * Shard thread only.
     */
    private CompletableFuture<Void> replyTurn = NO_TURN;
    /** What the connection may do; the transport sets it after registering, {@code refresh} replaces it. */
    private volatile Grants grants;

    Connection(String connId, String userId, Session session, Shard shard, long connectedAtMillis, long nowNanos,
               long sequence) {
        this.sequence = sequence;
        this.connId = connId;
        this.userId = userId;
        this.session = session;
        this.shard = shard;
        this.connectedAtMillis = connectedAtMillis;
        this.connectedAtNanos = nowNanos;
        this.grants = Grants.withoutToken(userId, RoomPatterns.ANY);
    }

    public String connId() {
        return connId;
    }

    public String userId() {
        return userId;
    }

    public Session session() {
        return session;
    }

    public Shard shard() {
        return shard;
    }

    public long sequence() {
        return sequence;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public long connectedAtNanos() {
        return connectedAtNanos;
    }

    /** Records inbound traffic (any frame, including pongs), which defers the heartbeat timeout. Shard thread. */
    public void touch(long nowNanos) {
        shard.touched(this, nowNanos);
    }

    /**
     * Records that the outbound queue rose above its high-water mark at {@code sinceNanos}
     * ({@link TimeSource#nanoTime()}), or fell below it (0). Writes backlogged for
     * {@code websocket.writeWait} close the connection as a slow consumer. Shard thread.
     */
    public void backlogged(long sinceNanos) {
        shard.backlogged(this, sinceNanos);
    }

    /** Names of the rooms joined, a copy. Shard thread. */
    public Set<String> rooms() {
        return Set.copyOf(rooms.names());
    }

    /** What the connection may do (rooms, publish, expiry). */
    public Grants grants() {
        return grants;
    }

    /** Replaces the grants: at the handshake, and when a {@code refresh} brought a new token. Shard thread. */
    public void grants(Grants grants) {
        this.grants = grants;
    }

    public boolean isMember(String room) {
        return rooms.contains(room);
    }

    @Override
    public String toString() {
        return connId + "(" + userId + ")";
    }

    /**
     * Makes {@code next} the turn a later proxied message waits for and returns the one this message waits for.
     * Shard thread only.
     */
    public CompletableFuture<Void> proxyTurn(CompletableFuture<Void> next) {
        CompletableFuture<Void> previous = proxyTurn;
        proxyTurn = next;
        return previous;
    }

    /** The turn the next reply waits for: done when no reply is on its way. Shard thread only. */
    public CompletableFuture<Void> replyTurn() {
        return replyTurn;
    }

    /** Makes {@code next} the turn a later reply waits for and returns the one this reply waits for. Shard thread only. */
    public CompletableFuture<Void> replyTurn(CompletableFuture<Void> next) {
        CompletableFuture<Void> previous = replyTurn;
        replyTurn = next;
        return previous;
    }

    /** Counts one more invalid command in a row and returns the streak. Shard thread only. */
    public int invalidCommand() {
        return ++invalidStreak;
    }

    /** A valid command ends the streak of invalid ones. Shard thread only. */
    public void validCommand() {
        invalidStreak = 0;
    }

    /** The rate of its {@code broadcast} commands, made by {@code create} on first use. Shard thread only. */
    public TokenBucket broadcastRate(Supplier<TokenBucket> create) {
        if (broadcastRate == null) {
            broadcastRate = create.get();
        }
        return broadcastRate;
    }
}
