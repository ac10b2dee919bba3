package io.switchboard.core.hooks;

/**
 * Where the hub reports connections and rooms coming and going (the SPI of lifecycle webhooks).
 *
 * <p>Threading: {@link #emit} is called on the threads the hub works on, event loops included, and for one
 * connection always in the order its events happened (its connect first, its disconnect last; a room's
 * occupied after the join that caused it, its vacated after the leave). It must return at once and never
 * throw: an implementation hands the event to a bounded queue of its own and delivers it on another thread.
 * Implementations are thread-safe.
 */
public interface LifecycleHooks {
    /** Reports nothing: the hub's default. */
    LifecycleHooks NONE = new LifecycleHooks() {
        @Override
        public boolean wants(LifecycleEvent.Type type) {
            return false;
        }

        @Override
        public void emit(LifecycleEvent event) {
        }
    };

    /** Whether events of this type are wanted; the hub does not even build the others. Constant per type. */
    boolean wants(LifecycleEvent.Type type);

    /** Takes an event; returns at once, never throws. */
    void emit(LifecycleEvent event);
}
