package io.switchboard.server.node;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.switchboard.core.config.Security;
import java.io.File;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * The server's TLS context from {@code security.certFile} and {@code security.keyFile} (PEM, key in
 * PKCS#8): TLS 1.3 and 1.2 only, AEAD cipher suites with forward secrecy only. Stateless.
 */
final class TlsContexts {
    /** TLS 1.0/1.1 are deprecated (RFC 8996); SSLv3 long broken. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** TLS 1.3 suites, then ECDHE + AEAD for 1.2 (Mozilla "intermediate"); no CBC, no RSA key exchange. */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private TlsContexts() {
    }

    /** The context, or null when {@code security.enableTls} is off. */
    static SslContext server(Security s) throws SSLException {
        if (!s.enableTls()) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(new File(s.certFile()), new File(s.keyFile()))
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .clientAuth(ClientAuth.NONE)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new SSLException("cannot read security.certFile " + s.certFile() + " or security.keyFile "
                    + s.keyFile() + ": " + e.getMessage(), e);
        }
    }
}
