package io.switchboard.core;

/** Receives the outcome of a join on the connection's shard thread. */
public interface JoinCallback {
    void joined(JoinResult result);

    void failed(HubException error);
}
