package io.switchboard.core.auth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which {@code Origin} may connect (WebSocket, SSE, HTTP streaming) and read the server's answers across
 * origins (CORS): the defence against cross-site hijacking, where a page on another site opens a
 * connection that carries the victim's cookies.
 * <ul>
 *   <li>The server's own origin is always allowed, list or not, so that the pages it serves keep working
 *       when other sites are added: the Origin's {@code host[:port]} equals the {@code Host} header, and
 *       with TLS on its scheme is {@code https} (without TLS either scheme, since a TLS-terminating proxy
 *       in front presents {@code https} for the same host).</li>
 *   <li>A list in {@code security.allowedOrigins} adds: exact origins ({@code https://app.example.com}, scheme and port included, default ports
 *       implied), subdomain patterns ({@code https://*.example.com} matches {@code https://a.example.com}
 *       and {@code https://a.b.example.com} but neither {@code https://example.com} nor
 *       {@code https://a.example.com.evil.io}), {@code null} only when listed, {@code *} anything.</li>
 *   <li>No Origin header at all (not a browser): allowed when authentication is off; with it on, only
 *       with an {@code Authorization: Bearer} credential, which a browser never attaches by itself.</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class OriginPolicy {
    private final boolean any;
    private final boolean allowNull;
    private final List<Allowed> allowed;
    private final boolean tls;
    private final boolean bearerWithoutOrigin;

    /** One list entry, normalised: lower case, explicit port. */
    private record Allowed(String scheme, String host, int port, boolean subdomains) {
        boolean matches(Parsed o) {
            if (!scheme.equals(o.scheme) || port != o.port) {
                return false;
            }
            return subdomains ? o.host.endsWith("." + host) : o.host.equals(host);
        }
    }

    /** An Origin header, parsed. */
    private record Parsed(String scheme, String host, int port, String authority) {
    }

    /**
     * @param allowedOrigins {@code security.allowedOrigins}
     * @param tls whether the server itself serves TLS (same-host mode then requires https origins)
     * @param requireAuth whether a request without Origin must carry a bearer credential
     */
    public OriginPolicy(List<String> allowedOrigins, boolean tls, boolean requireAuth) {
        this.tls = tls;
        this.bearerWithoutOrigin = requireAuth;
        boolean anyOrigin = false;
        boolean nullOrigin = false;
        List<Allowed> list = new ArrayList<>();
        for (String entry : allowedOrigins) {
            if (entry.equals("*")) {
                anyOrigin = true;
            } else if (entry.equals("null")) {
                nullOrigin = true;
            } else {
                boolean wildcard = entry.contains("://*.");
                Parsed p = parse(wildcard ? entry.replace("://*.", "://") : entry);
                if (p == null) {
                    throw new IllegalArgumentException("not an origin: " + entry);
                }
                list.add(new Allowed(p.scheme, p.host, p.port, wildcard));
            }
        }
        this.any = anyOrigin;
        this.allowNull = nullOrigin;
        this.allowed = List.copyOf(list);
    }

    /**
     * Why an upgrade is refused, or null when it may proceed.
     *
     * @param origin the {@code Origin} header, null when absent
     * @param host the {@code Host} header, null when absent
     * @param bearer whether the request carries {@code Authorization: Bearer}
     */
    public String refusal(String origin, String host, boolean bearer) {
        if (origin == null) {
            return !bearerWithoutOrigin || bearer ? null
                    : "a request without Origin must authenticate with Authorization: Bearer";
        }
        return allows(origin, host) ? null : refusalOf(origin);
    }

    /**
     * Whether a request that carries {@code Origin: origin} and came to {@code host} may proceed: the
     * server's own origin, or one the list allows.
     *
     * @param origin the {@code Origin} header
     * @param host the {@code Host} header, null when absent
     */
    public boolean allows(String origin, String host) {
        if (any) {
            return true;
        }
        if (origin.equals("null")) {
            return allowNull;
        }
        Parsed o = parse(origin);
        if (o == null) {
            return false;
        }
        if (host != null && o.authority.equalsIgnoreCase(host.trim()) && (!tls || o.scheme.equals("https"))) {
            return true;
        }
        for (Allowed a : allowed) {
            if (a.matches(o)) {
                return true;
            }
        }
        return false;
    }

    /** The refusal a user can act on: which origin, and the setting that would admit it. */
    private static String refusalOf(String origin) {
        if (parse(origin) == null && !origin.equals("null")) {
            // Quoted and cut: the header is the client's, and this text goes to logs and responses.
            String shown = origin.length() > 64 ? origin.substring(0, 64) + "..." : origin;
            return "origin \"" + shown.replaceAll("[^\\x20-\\x7e]", "?")
                    + "\" is malformed (expected scheme://host[:port])";
        }
        return "origin " + origin + " is not allowed (add it to security.allowedOrigins)";
    }

    /** scheme://host[:port] and nothing else, or null. */
    private static Parsed parse(String origin) {
        if (origin.length() > 512) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null || uri.getRawUserInfo() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            return null;
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return new Parsed(scheme, uri.getHost().toLowerCase(Locale.ROOT), port, uri.getRawAuthority());
    }
}
