package io.switchboard.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.switchboard.core.HubException;
import io.switchboard.protocol.ErrorCode;

/** A refused API call: its status and the {@code {"error","message"}} body. Thrown by readers and handlers. */
final class ApiError extends Exception {
    private static final long serialVersionUID = 1L;
    final HttpResponseStatus status;
    final String code;
    /** The {@code Retry-After} of a 429 or 503, or 0 for none. */
    final long retryAfterSeconds;

    ApiError(HttpResponseStatus status, String code, String message) {
        this(status, code, message, 0);
    }

    ApiError(HttpResponseStatus status, String code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiError badField(String message) {
        return new ApiError(HttpResponseStatus.BAD_REQUEST, ErrorCode.INVALID_FIELD.wireName(), message);
    }

    static ApiError fromHub(HubException e) {
        HttpResponseStatus status = switch (e.code()) {
            case USER_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            default -> HttpResponseStatus.BAD_REQUEST;
        };
        // Unavailable is a state that passes (a backed-up room, a store or broker down): say when to retry.
        long retryAfter = status == HttpResponseStatus.SERVICE_UNAVAILABLE ? 1 : 0;
        return new ApiError(status, e.code().wireName(), e.getMessage(), retryAfter);
    }
}
