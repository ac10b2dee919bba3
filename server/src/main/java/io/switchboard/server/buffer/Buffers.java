package io.switchboard.server.buffer;

import io.netty.buffer.PooledByteBufAllocator;

/**
 * The server's buffer pool: Netty's pooled allocator with 128 KiB chunks instead of its default 4 MiB.
 *
 * <p>An arena keeps a chunk while any run in it is allocated, and for every size class it keeps the last
 * small-buffer page even when that page is empty. After a burst of handshakes those kept pages are spread
 * over many chunks: with 19,000 idle connections that held nothing, 4 MiB chunks kept 88 MiB (4.9 KB per
 * connection), 512 KiB chunks 23 MiB, 128 KiB chunks 6.7 MiB (370 B per connection). What the server
 * allocates stays far below 128 KiB (frames, corks of at most 16 KiB, read buffers of at
 * most 64 KiB, messages of {@code websocket.maxMessageBytes}, by default 64 KiB), so it all comes from the
 * pool; anything larger is allocated outside it, as anything above the chunk size always was.
 * {@code -Dio.netty.allocator.maxOrder} (chunk = 8 KiB pages shifted left by it) overrides the choice; the
 * server then uses Netty's default allocator as configured.
 *
 * <p>Each event loop keeps up to {@value #SMALL_CACHE_SIZE} freed buffers of each small size class (up to
 * 28 KiB), not Netty's 256. A fan-out pass fills a cork per connection and frees them all once written; with
 * 1,000 connections, the 744 corks the default cache could not keep went back to their chunks, emptied them,
 * and the arena destroyed the chunks, to make them again on the next pass (1,300 chunks a second at 1M
 * deliveries/s). {@code -Dio.netty.allocator.smallCacheSize} overrides it.
 *
 * <p>Each event loop also trims its thread cache every {@link #TRIM_SECONDS}: Netty trims a cache only
 * after 8,192 allocations on its thread, which an idle server never reaches, and a cached buffer keeps its
 * chunk. A trim frees what was not asked for since the last one, so a busy loop keeps its cache and an idle
 * one gives it back.
 */
public final class Buffers {
    /** 8 KiB pages × 2^4 = 128 KiB chunks. */
    static final int MAX_ORDER = 4;
    /** Freed buffers kept per small size class by each event loop's cache (class docs). */
    static final int SMALL_CACHE_SIZE = 4096;
    /** Least capacity of a cork: the buffer a connection's small writes are copied into until its next flush. */
    public static final int CORK_MIN_BYTES = 256;
    /**
     * Most capacity of a cork. A full cork is handed on and another started; a cork is never grown. A cork
     * grown by reallocation (to 64 KiB under a backlog, which the cache never keeps: its limit is 32 KiB)
     * took fresh pool memory for nearly every reallocation, memory the JDK zeroes and the kernel faults in,
     * freed after the write, its emptied chunk destroyed and made again on the next pass: with 1,000
     * WebSocket subscribers behind, 43% of the server's CPU. Corks of a power of two up to 16 KiB fall in a
     * few small size classes, which the event loop's cache keeps.
     */
    public static final int CORK_MAX_BYTES = 16 * 1024;
    public static final PooledByteBufAllocator ALLOCATOR = create();
    /** How often each event loop trims its thread cache. */
    public static final int TRIM_SECONDS = 10;

    private Buffers() {
    }

    /** The power of two from {@value #CORK_MIN_BYTES} to {@value #CORK_MAX_BYTES} nearest above {@code bytes}. */
    public static int corkCapacity(int bytes) {
        int want = Math.min(Math.max(bytes, CORK_MIN_BYTES), CORK_MAX_BYTES);
        return want == Integer.highestOneBit(want) ? want : Integer.highestOneBit(want) << 1;
    }

    /** Frees the calling thread's cached buffers that were not reused since the last trim. */
    public static void trimThreadCache() {
        ALLOCATOR.trimCurrentThreadCache();
    }

    private static PooledByteBufAllocator create() {
        if (System.getProperty("io.netty.allocator.maxOrder") != null) {
            return PooledByteBufAllocator.DEFAULT;
        }
        return new PooledByteBufAllocator(PooledByteBufAllocator.defaultPreferDirect(),
                PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), MAX_ORDER,
                System.getProperty("io.netty.allocator.smallCacheSize") != null
                        ? PooledByteBufAllocator.defaultSmallCacheSize() : SMALL_CACHE_SIZE,
                PooledByteBufAllocator.defaultNormalCacheSize(), PooledByteBufAllocator.defaultUseCacheForAllThreads());
    }
}
