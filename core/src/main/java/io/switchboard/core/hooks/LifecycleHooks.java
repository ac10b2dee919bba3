package io.switchboard.core.hooks;

/**
 * Where the hub reports connections and rooms coming and going (the SPI of lifecycle webhooks).
 *
 * <p>Threading: {@link #emit} is called on the threads the hub works on, event loops and the presence store's
 * included, and for one connection always in the order its events happened (its connect first, its disconnect
 * last). A room's occupied and vacated are decided by the presence store, once cluster-wide, and emitted when it
 * answers: after the join or leave that caused them, possibly after that connection's later events. The
 * connections of a lost node are reported by the one survivor that claimed it (reason {@code node_lost}), leaves
 * before the disconnect. {@link #emit} must return at once and never throw: an implementation hands the event to
 * a bounded queue of its own and delivers it on another thread. Implementations are thread-safe.
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
