package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.testkit.RawPeer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wss://} with a self-signed certificate made by the JDK's keytool: no BouncyCastle, no proxy. */
class TlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    private static Path cert;
    private static Path key;
    private static SSLContext trusting;

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "sb", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass",
                "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        Certificate certificate = ks.getCertificate("sb");
        PrivateKey privateKey = (PrivateKey) ks.getKey("sb", PASSWORD);
        cert = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", certificate.getEncoded()));
        key = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", privateKey.getEncoded()));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("sb", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(certificate.getEncoded())));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static SecureServers tls() {
        SecureServers s = new SecureServers();
        s.security.enableTls(true);
        s.security.certFile(cert.toString());
        s.security.keyFile(key.toString());
        return s;
    }

    @Test
    void aJdkClientConnectsOverWssAndGetsItsWelcome() throws Exception {
        try (SwitchboardServer server = tls().start()) {
            CompletableFuture<String> first = new CompletableFuture<>();
            WebSocket ws = HttpClient.newBuilder().sslContext(trusting).connectTimeout(Duration.ofSeconds(5)).build()
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("wss://127.0.0.1:" + server.port() + "/ws?id=secure"),
                            new WebSocket.Listener() {
                                @Override
                                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                    first.complete(data.toString());
                                    return null;
                                }
                            }).get(10, TimeUnit.SECONDS);
            assertThat(first.get(10, TimeUnit.SECONDS)).contains("\"type\":\"welcome\"", "\"userId\":\"secure\"");
            ws.abort();
        }
    }

    @Test
    void onlyTls13And12AreSpokenAndPlainTextGetsNoUpgrade() throws Exception {
        try (SwitchboardServer server = tls().start()) {
            try (SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                s.startHandshake();
                assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
            }
            try (SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"});
                assertThatThrownBy(s::startHandshake).isInstanceOf(SSLException.class);
            }
            try (RawPeer p = RawPeer.open(server.port())) {
                p.write(RawPeer.upgradeRequest(server.port(), "/ws", java.util.Map.of())
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertThat(p.closedByServer(5000)).isTrue();
            }
        }
    }
}
