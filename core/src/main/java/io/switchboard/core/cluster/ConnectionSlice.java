package io.switchboard.core.cluster;

import java.util.List;

/**
 * One node's answer to a connection listing: its oldest matching connections, oldest first.
 *
 * @param connections at most the limit asked for, ordered by {@link ConnectionPages#ORDER}
 * @param total how many of the node's connections match, listed or not
 * @param cut whether connections within the limit were left out because the answer would not fit in one registry
 *     message: then nothing newer than the last listed one may be listed from the cluster's merge
 */
public record ConnectionSlice(List<ConnectionInfo> connections, long total, boolean cut) {
    public ConnectionSlice {
        connections = List.copyOf(connections);
    }
}
