package io.switchboard.server.buffer;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The process's direct memory against its limit ({@code -XX:MaxDirectMemorySize}, by default the heap
 * size): the budget every connection's outbound queue draws on. Each queue has its own cap
 * ({@code websocket.maxQueuedBytes}), but the caps of many connections together can exceed the budget,
 * and an allocation that fails on the event loop would lose the deliveries it was for. Thread-safe;
 * reads two counters, so cheap enough to ask on a backed-up connection's every write.
 */
public final class DirectMemory {
    /** Above this share of the limit, backed-up connections are closed instead of queueing more. */
    public static final double HIGH_WATER = 0.75;
    private static final BufferPoolMXBean JDK_DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
            .stream().filter(p -> "direct".equals(p.getName())).findFirst().orElse(null);
    private static final long MAX = PlatformDependent.maxDirectMemory();
    private static final long HIGH_WATER_BYTES = MAX > 0 ? (long) (MAX * HIGH_WATER) : Long.MAX_VALUE;

    private DirectMemory() {
    }

    /**
     * Direct memory in use, as the nearer of the two limits sees it. The JDK counts the direct buffers it
     * allocates ({@code -XX:MaxDirectMemorySize} applies to them); Netty counts every direct buffer it
     * allocates, whether the JDK allocated it (then both count it: Netty's cleaner-based allocation on
     * JDK 17) or Netty did without the JDK's count ({@code io.netty.maxDirectMemory} applies, by default the
     * same limit). An allocation fails when either count reaches the limit, so the larger one is what is
     * left; adding them would count Netty's buffers twice where the JDK allocates them.
     */
    public static long used() {
        long jdk = JDK_DIRECT == null ? 0 : JDK_DIRECT.getMemoryUsed();
        return Math.max(jdk, PlatformDependent.usedDirectMemory());
    }

    /** Whether direct memory is above {@link #HIGH_WATER} of its limit. */
    public static boolean aboveHighWater() {
        return used() > HIGH_WATER_BYTES;
    }
}
