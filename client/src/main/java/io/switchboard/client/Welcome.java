package io.switchboard.client;

/**
 * What the server said about a new connection in its {@code welcome}. Immutable.
 *
 * @param connId server-made id of this connection, unique in the cluster
 * @param userId the user the server identified (from {@code ?id=} or the token)
 * @param serverVersion the server's version, or {@code null}
 * @param node the server node's name, or {@code null}
 * @param pingIntervalMs how often the server pings, or 0 when not announced
 * @param maxMessageBytes the largest message the server accepts, or 0 when not announced
 */
public record Welcome(String connId, String userId, String serverVersion, String node, long pingIntervalMs,
                      long maxMessageBytes) {
}
