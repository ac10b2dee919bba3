package io.switchboard.client;

/**
 * An {@code error} message from the server that answered no pending request of this client
 * (errors that answer a request fail that request's future instead). Immutable.
 *
 * @param code the wire code, e.g. {@code not_in_room} (see {@link io.switchboard.protocol.ErrorCode})
 * @param message the server's human-readable text
 * @param id the id of the command it answers, or {@code null}
 */
public record ServerError(String code, String message, String id) {
}
