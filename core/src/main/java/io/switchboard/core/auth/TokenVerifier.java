package io.switchboard.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.switchboard.core.config.Security;
import io.switchboard.protocol.Names;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies the JWTs clients present at the handshake and in {@code refresh} (Nimbus JOSE+JWT) and turns
 * their claims into {@link Grants}. What it enforces, each from {@code security.*}:
 * <ul>
 *   <li>only the configured algorithms; never {@code none}, never an encrypted JWT, and HMAC and
 *       public-key algorithms never together (key confusion);</li>
 *   <li>a signature by the secret, the PEM public key, or a key of the JWKS;</li>
 *   <li>{@code sub} and {@code exp} present, {@code exp}/{@code nbf} within the clock skew,
 *       {@code iss}/{@code aud} equal to the configured values when set;</li>
 *   <li>a token of at most {@link #MAX_TOKEN_CHARS}, so parsing cost is bounded before any work.</li>
 * </ul>
 * Verification never blocks: JWKS keys come from {@link JwksCache}, fetched on its own thread.
 * Thread-safe.
 */
public final class TokenVerifier implements AutoCloseable {
    /** Longest token accepted; real tokens are well under 2 KiB. */
    public static final int MAX_TOKEN_CHARS = 8192;
    /** Deepest nesting of arrays and objects in the header or claims; real claims nest two or three levels. */
    public static final int MAX_JSON_DEPTH = 16;

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final RoomPatterns defaultRooms;
    private final JwksCache jwks;

    private TokenVerifier(DefaultJWTProcessor<SecurityContext> processor, Security s,
                          JwksCache jwks) {
        this.processor = processor;
        this.defaultRooms = RoomPatterns.of(s.allowedRooms());
        this.jwks = jwks;
    }

    /**
     * Builds the verifier {@code security.*} describes, reading a PEM key file or fetching the JWKS once.
     * Call off the event loops.
     *
     * @throws IOException when the key file cannot be read
     */
    public static TokenVerifier create(Security s) throws IOException {
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        for (String name : s.jwtAlgorithms()) {
            algorithms.add(JWSAlgorithm.parse(name));
        }
        JwksCache jwks = null;
        JWKSource<SecurityContext> keys;
        if (Security.HMAC_ALGORITHMS.containsAll(s.jwtAlgorithms())) {
            keys = new ImmutableSecret<>(s.jwtSecret().getBytes(StandardCharsets.UTF_8));
        } else if (!s.jwtPublicKeyFile().isBlank()) {
            // One configured key: a token's kid cannot select another, so it is not matched against.
            List<JWK> key = List.of(PemKeys.publicJwk(Path.of(s.jwtPublicKeyFile())));
            keys = (selector, context) -> key;
        } else {
            jwks = new JwksCache(URI.create(s.jwksUrl()), s.jwksRefreshInterval());
            jwks.start();
            keys = jwks;
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        JWTClaimsSet exact = s.jwtIssuer().isEmpty() ? null : new JWTClaimsSet.Builder().issuer(s.jwtIssuer()).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                s.jwtAudience().isEmpty() ? null : s.jwtAudience(), exact, Set.of("sub", "exp"));
        claims.setMaxClockSkew((int) s.jwtClockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        return new TokenVerifier(processor, s, jwks);
    }

    /**
     * The grants a token carries.
     *
     * @throws TokenException when it is missing, malformed, forged, expired or otherwise not acceptable
     */
    public Grants verify(String token) throws TokenException {
        if (token == null || token.isEmpty()) {
            throw new TokenException("no token");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenException("token longer than " + MAX_TOKEN_CHARS + " characters");
        }
        checkNesting(token);
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new TokenException("malformed token");
        } catch (BadJOSEException | JOSEException e) {
            String message = String.valueOf(e.getMessage());
            throw new TokenException(message.startsWith("Unsecured") ? "unsigned tokens (alg none) are refused"
                    // The one refusal a client acts on by itself (refresh, then reconnect): a stable word.
                    : message.equals("Expired JWT") ? TokenException.EXPIRED : message);
        } catch (RuntimeException | StackOverflowError e) {
            // A parser failing on hostile input must cost one refusal, not the event loop.
            throw new TokenException("malformed token");
        }
        return grants(claims);
    }

    /**
     * Refuses a header or claims set nested deeper than {@link #MAX_JSON_DEPTH} before any JSON parser sees
     * it: recursive parsers turn deep nesting into stack exhaustion (CVE-2025-53864 in Nimbus before 10.0.2).
     */
    private static void checkNesting(String token) throws TokenException {
        String[] parts = token.split("\\.", 4);
        for (int i = 0; i < Math.min(2, parts.length); i++) {
            byte[] json;
            try {
                json = Base64.getUrlDecoder().decode(parts[i]);
            } catch (IllegalArgumentException e) {
                throw new TokenException("malformed token");
            }
            int depth = 0;
            boolean inString = false;
            for (int j = 0; j < json.length; j++) {
                byte b = json[j];
                if (inString) {
                    if (b == '\\') {
                        j++;
                    } else if (b == '"') {
                        inString = false;
                    }
                } else if (b == '"') {
                    inString = true;
                } else if (b == '{' || b == '[') {
                    if (++depth > MAX_JSON_DEPTH) {
                        throw new TokenException("token JSON nested deeper than " + MAX_JSON_DEPTH);
                    }
                } else if (b == '}' || b == ']') {
                    depth--;
                }
            }
        }
    }

    private Grants grants(JWTClaimsSet claims) throws TokenException {
        String sub = claims.getSubject();
        if (!Names.isValidUserId(sub)) {
            throw new TokenException("sub must match [A-Za-z0-9_.:@-]{1,64}");
        }
        RoomPatterns rooms = patterns(claims, "rooms", defaultRooms);
        RoomPatterns publish = patterns(claims, "publish", rooms);
        Map<String, Object> info;
        try {
            info = claims.getJSONObjectClaim("info");
        } catch (ParseException e) {
            throw new TokenException("info claim must be a JSON object");
        }
        // One message in, every connection of the cluster out: only a token that says so may broadcast.
        boolean broadcast = flag(claims, "broadcast", false);
        // 1:1 is no amplifier, but a token that may publish nowhere is read-only: it may not write to users either.
        // Whom a sender may reach (security.privateMessages) is the command handler's check, not a grant.
        boolean privateMessages = flag(claims, "private", !publish.patterns().isEmpty());
        return new Grants(sub, rooms, publish, info == null ? Map.of() : info,
                claims.getExpirationTime().getTime(), broadcast, privateMessages);
    }

    /** A boolean claim; absent gives the fallback. */
    private static boolean flag(JWTClaimsSet claims, String name, boolean fallback) throws TokenException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Boolean b)) {
            throw new TokenException(name + " claim must be true or false");
        }
        return b;
    }

    /** A claim holding a list of room patterns, or a space-separated string of them; absent gives the fallback. */
    private static RoomPatterns patterns(JWTClaimsSet claims, String name, RoomPatterns fallback)
            throws TokenException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return fallback;
        }
        List<String> list = new ArrayList<>();
        if (value instanceof String text) {
            list.addAll(Arrays.asList(text.trim().split("\\s+")));
        } else if (value instanceof List<?> items) {
            for (Object item : items) {
                if (!(item instanceof String text)) {
                    throw new TokenException(name + " claim must be a list of room patterns");
                }
                list.add(text);
            }
        } else {
            throw new TokenException(name + " claim must be a list of room patterns");
        }
        try {
            return RoomPatterns.of(list);
        } catch (IllegalArgumentException e) {
            throw new TokenException(name + " claim: " + e.getMessage());
        }
    }

    /** How many JWKS fetches ran; 0 without a JWKS. */
    public long jwksFetches() {
        return jwks == null ? 0 : jwks.fetches();
    }

    @Override
    public void close() {
        if (jwks != null) {
            jwks.close();
        }
    }
}
