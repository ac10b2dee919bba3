package io.switchboard.core.cluster;

import java.util.List;
import java.util.Objects;

/**
 * One client connection as the cluster lists it for operators. Immutable. Values read from other nodes are
 * validated by {@link NodeCodec}.
 *
 * @param connId the connection's id
 * @param userId its user
 * @param nodeId the node it is connected to
 * @param address the client's address as that node sees it, {@code host:port}
 * @param rooms the rooms it has joined, by name, at most {@link NodeRegistry#MAX_ROOMS_LISTED}
 * @param roomCount how many rooms it has joined: more than {@code rooms} lists when it joined more than
 *     {@link NodeRegistry#MAX_ROOMS_LISTED}
 * @param connectedAt when it connected, epoch milliseconds
 * @param sequence its registration order on its node, which orders connections of one node and millisecond
 */
public record ConnectionInfo(String connId, String userId, String nodeId, String address, List<String> rooms,
                             int roomCount, long connectedAt, long sequence) {
    public ConnectionInfo {
        Objects.requireNonNull(connId, "connId");
        Objects.requireNonNull(nodeId, "nodeId");
        rooms = List.copyOf(rooms);
    }
}
