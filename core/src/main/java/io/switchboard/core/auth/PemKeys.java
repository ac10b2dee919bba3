package io.switchboard.core.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a verification key from PEM with the JDK alone (no BouncyCastle): a {@code PUBLIC KEY}
 * (X.509 SubjectPublicKeyInfo, RSA or EC) or a {@code CERTIFICATE} whose key is used. Stateless.
 */
final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private PemKeys() {
    }

    static JWK publicJwk(Path file) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(pem);
        if (!m.find()) {
            throw new IOException(file + " holds no PEM block");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        try {
            PublicKey key = switch (m.group(1)) {
                case "PUBLIC KEY" -> decodePublicKey(der);
                case "CERTIFICATE" -> CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
                default -> throw new IOException(file + " holds a " + m.group(1)
                        + " block; expected PUBLIC KEY or CERTIFICATE");
            };
            if (key instanceof RSAPublicKey rsa) {
                return new RSAKey.Builder(rsa).build();
            }
            if (key instanceof ECPublicKey ec) {
                return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
            }
            throw new IOException(file + " holds a " + key.getAlgorithm() + " key; expected RSA or EC");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " holds no readable public key: " + e.getMessage(), e);
        }
    }

    private static PublicKey decodePublicKey(byte[] der) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException e) {
            return KeyFactory.getInstance("EC").generatePublic(spec);
        }
    }
}
