package io.switchboard.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import io.switchboard.core.config.Security;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target for the JWT verifier (docs/fuzzing.md). Property: for any token string the verifier answers
 * with grants or a {@link TokenException}, nothing else, and answers the same way twice.
 *
 * <p>A fuzzer cannot forge a signature, so mutated tokens alone never reach the claim checks. An input whose
 * first byte is {@code 0x00} is therefore taken as a claims set (any bytes) that the target signs with the
 * verifier's own secret: the claim checks see arbitrary JSON as if from a trusted issuer. Any other input is
 * the token string itself.
 */
class TokenVerifierFuzzTest {
    private static final String SECRET = "fuzz-secret-of-at-least-thirty-two-bytes!";
    private static final TokenVerifier VERIFIER = verifier();
    private static final MACSigner SIGNER = signer();

    private static TokenVerifier verifier() {
        try {
            return TokenVerifier.create(Security.builder().requireAuth(true).jwtSecret(SECRET).build());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static MACSigner signer() {
        try {
            return new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    @FuzzTest
    void anyTokenGivesGrantsOrATokenException(byte[] input) throws JOSEException {
        String token;
        if (input.length > 0 && input[0] == 0) {
            JWSObject signed = new JWSObject(new JWSHeader(JWSAlgorithm.HS256),
                    new Payload(Arrays.copyOfRange(input, 1, input.length)));
            signed.sign(SIGNER);
            token = signed.serialize();
        } else {
            token = new String(input, StandardCharsets.UTF_8);
        }
        Grants first = verifyOrNull(token);
        Grants second = verifyOrNull(token);
        // RoomPatterns has no equals: the grants are compared as they print, patterns included.
        assertThat(String.valueOf(second)).as("a second verification of %s", token).isEqualTo(String.valueOf(first));
        if (first != null) {
            assertThat(first.userId()).isNotBlank();
        }
    }

    /** The grants, or null for a {@link TokenException} with a message; any other exception escapes. */
    private static Grants verifyOrNull(String token) {
        try {
            return VERIFIER.verify(token);
        } catch (TokenException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return null;
        }
    }
}
