package io.switchboard.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector (paranoid in the build, see the parent pom) reports a
 * buffer that was garbage-collected without being released while the class ran.
 *
 * <p>Register it with {@code @ExtendWith(LeakDetection.class)}, or for every test class of a module by
 * service loading: a {@code META-INF/services/org.junit.jupiter.api.extension.Extension} file naming
 * this class plus {@code junit.jupiter.extensions.autodetection.enabled=true}. Its static initializer
 * installs the recording detector when the class loads, so load it before Netty creates its first
 * detector (an extension is loaded before the first test runs). Each leak is also logged by Netty as
 * usual. Thread-safe: leaks are reported on whichever thread allocates.
 */
public final class LeakDetection implements AfterAllCallback {
    /** Rounds of collect-then-allocate: a leak is reported only when a later tracked allocation polls the queue. */
    private static final int ROUNDS = 5;
    private static final int ALLOCATIONS_PER_ROUND = 64;
    private static final long PAUSE_MILLIS = 50;

    /** Guarded by itself. */
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        if (!lettuceReadBufferOfAChannelThatNeverRead(records)) {
                            record(resourceType + " leaked:" + records);
                        }
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        record(resourceType + " leaked (no records)");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /**
     * Lettuce's {@code CommandHandler} allocates its read buffer when its channel registers and frees it when the
     * channel unregisters. A reconnect that registers a channel while the client shuts down (seen after a Redis
     * Cluster failover, when a watchdog was still reconnecting to the dead master) never unregisters it, and the
     * buffer is reported. It is Lettuce's own buffer and was never read or written (no access records), so it is
     * logged by Netty as usual but does not fail the class; any buffer of ours, or one that carried data, still does.
     */
    static boolean lettuceReadBufferOfAChannelThatNeverRead(String records) {
        int created = records.indexOf("Created at:");
        return created >= 0 && records.substring(0, created).strip().equals("Recent access records:")
                && records.contains("io.lettuce.core.protocol.CommandHandler.channelRegistered");
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    /** The leaks reported since the last call, which forgets them. */
    static List<String> drain() {
        synchronized (LEAKS) {
            List<String> found = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return found;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> found = collectLeaks();
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " buffer leak(s) in "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", found));
        }
    }

    /**
     * Collects garbage and allocates from both the pooled direct and the unpooled heap allocator so that
     * pending reports come out, then returns (and forgets) every leak reported so far.
     */
    static List<String> collectLeaks() throws InterruptedException {
        for (int i = 0; i < ROUNDS; i++) {
            System.gc();
            Thread.sleep(PAUSE_MILLIS);
            for (int j = 0; j < ALLOCATIONS_PER_ROUND; j++) {
                ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                direct.release();
                ByteBuf heap = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                heap.release();
            }
        }
        return drain();
    }
}
