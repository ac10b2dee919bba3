package io.switchboard.server.hooks;

import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Switchboard-Signature} header of requests to the backend: {@code sha256=} and the hex HMAC-SHA256
 * of the body under the shared secret, so the backend knows the request came from Switchboard and was not
 * altered. Thread-safe.
 */
public final class Signatures {
    public static final String HEADER = "X-Switchboard-Signature";
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    public Signatures(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), ALGORITHM);
    }

    /** The header's value for this body. */
    public String sign(byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM); // not thread-safe, and cheap to get
            mac.init(key);
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
