package io.switchboard.server.hooks;

import io.switchboard.core.hooks.LifecycleEvent;

/**
 * An event waiting for the webhook sender.
 *
 * @param seq its place in the spool, from 1 and increasing across restarts; {@link #NOT_SPOOLED} without a spool
 *     (or when the spool could not be written)
 * @param event the event
 */
record QueuedEvent(long seq, LifecycleEvent event) {
    static final long NOT_SPOOLED = 0;
}
