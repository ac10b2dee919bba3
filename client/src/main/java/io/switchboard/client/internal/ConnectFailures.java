package io.switchboard.client.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;

/** Why a connection attempt failed, in the words a user acts on rather than an exception's class name. */
final class ConnectFailures {
    private ConnectFailures() {
    }

    /** For example "connect failed: connection refused (127.0.0.1:8080)". */
    static String describe(Throwable cause) {
        String detail = cause.getMessage() == null ? "" : cause.getMessage();
        String address = detail.contains(": /") ? detail.substring(detail.lastIndexOf(": /") + 3) : "";
        String where = address.isEmpty() ? "" : " (" + address + ")";
        if (cause instanceof ConnectException && detail.contains("refused")) {
            return "connect failed: connection refused" + where + "; is the server running on that port?";
        }
        if (cause instanceof ConnectException && detail.toLowerCase(java.util.Locale.ROOT).contains("timed out")) {
            return "connect failed: timed out" + where;
        }
        if (cause instanceof UnknownHostException) {
            return "connect failed: unknown host " + detail;
        }
        if (cause instanceof NoRouteToHostException) {
            return "connect failed: no route to host" + where;
        }
        if (cause instanceof SSLException) {
            return "connect failed: TLS: " + detail;
        }
        return "connect failed: " + (detail.isEmpty() ? cause.getClass().getSimpleName() : detail);
    }
}
