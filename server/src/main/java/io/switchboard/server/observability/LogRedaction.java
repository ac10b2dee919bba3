package io.switchboard.server.observability;

import java.util.regex.Pattern;

/**
 * Redacts credentials from text bound for logs and spans: query parameters that carry tokens or keys
 * ({@code ?token=eyJ…} becomes {@code ?token=REDACTED}). Every URI the server logs goes through
 * {@link #uri}; the log encoders apply {@link #text} to every message as a second line of defence.
 * Thread-safe.
 */
public final class LogRedaction {
    public static final String REDACTED = "REDACTED";
    /** Parameter names whose values are secrets, matched case-insensitively. */
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)(\\b(?:token|access_token|id_token|refresh_token|jwt|api_key|apikey|key|password|secret)=)"
                    + "[^&\\s#\"']*");

    private LogRedaction() {
    }

    /** {@code text} with every secret parameter value replaced by {@link #REDACTED}. */
    public static String text(String text) {
        if (text == null || text.indexOf('=') < 0) {
            return text;
        }
        return SECRET_PARAM.matcher(text).replaceAll("$1" + REDACTED);
    }

    /** A request URI fit for a log: secret query parameters redacted. */
    public static String uri(String uri) {
        return text(uri);
    }

    /** The path of a request URI, without its query. */
    static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }
}
