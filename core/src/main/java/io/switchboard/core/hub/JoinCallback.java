package io.switchboard.core.hub;

import io.switchboard.core.HubException;

/** Receives the outcome of a join on the connection's shard thread. */
public interface JoinCallback {
    void joined(JoinResult result);

    void failed(HubException error);
}
