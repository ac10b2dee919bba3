package io.switchboard.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {

    @Test
    void sameHostComparesTheAuthorityAndWithTlsRequiresHttps() {
        OriginPolicy plain = new OriginPolicy(List.of(), false, false);
        assertThat(plain.refusal("http://chat.example.com", "chat.example.com", false)).isNull();
        assertThat(plain.refusal("https://chat.example.com", "CHAT.example.com", false)).isNull();
        assertThat(plain.refusal("https://chat.example.com:8443", "chat.example.com", false)).isNotNull();
        assertThat(plain.refusal("https://chat.example.com.evil.io", "chat.example.com", false)).isNotNull();
        assertThat(plain.refusal("https://chat.example.com", null, false)).isNotNull();
        OriginPolicy tls = new OriginPolicy(List.of(), true, false);
        assertThat(tls.refusal("http://chat.example.com", "chat.example.com", false)).isNotNull();
        assertThat(tls.refusal("https://chat.example.com", "chat.example.com", false)).isNull();
    }

    @Test
    void withoutOriginABearerIsNeededOnlyWhenAuthIsRequired() {
        assertThat(new OriginPolicy(List.of(), false, false).refusal(null, "h", false)).isNull();
        assertThat(new OriginPolicy(List.of(), false, true).refusal(null, "h", false))
                .isEqualTo("a request without Origin must authenticate with Authorization: Bearer");
        assertThat(new OriginPolicy(List.of(), false, true).refusal(null, "h", true)).isNull();
    }

    @Test
    void patternsMatchSubdomainsOnly() {
        OriginPolicy p = new OriginPolicy(List.of("https://*.example.com", "http://localhost:3000"), false, false);
        assertThat(p.refusal("https://a.example.com", "x", false)).isNull();
        assertThat(p.refusal("https://a.b.example.com", "x", false)).isNull();
        assertThat(p.refusal("https://example.com", "x", false)).isNotNull();
        assertThat(p.refusal("https://badexample.com", "x", false)).isNotNull();
        assertThat(p.refusal("http://a.example.com", "x", false)).isNotNull();
        assertThat(p.refusal("http://localhost:3000", "x", false)).isNull();
        assertThat(p.refusal("http://localhost:3001", "x", false)).isNotNull();
        assertThat(p.refusal("null", "x", false))
                .isEqualTo("origin null is not allowed (add it to security.allowedOrigins)");
    }

    @Test
    void theServersOwnOriginStaysAllowedBesideAList() {
        OriginPolicy p = new OriginPolicy(List.of("https://app.example.com"), false, false);
        assertThat(p.refusal("http://chat.example.com:8080", "chat.example.com:8080", false)).isNull();
        assertThat(p.refusal("https://app.example.com", "chat.example.com:8080", false)).isNull();
        assertThat(p.refusal("http://chat.example.com:8081", "chat.example.com:8080", false))
                .isEqualTo("origin http://chat.example.com:8081 is not allowed (add it to security.allowedOrigins)");
        OriginPolicy tls = new OriginPolicy(List.of("https://app.example.com"), true, false);
        assertThat(tls.refusal("https://chat.example.com", "chat.example.com", false)).isNull();
        assertThat(tls.allows("http://chat.example.com", "chat.example.com")).isFalse();
    }

    @Test
    void aMalformedOriginIsQuotedCutAndStrippedOfControlCharacters() {
        OriginPolicy p = new OriginPolicy(List.of(), false, false);
        assertThat(p.refusal("javascript:alert(1)\u0007", "h", false))
                .isEqualTo("origin \"javascript:alert(1)?\" is malformed (expected scheme://host[:port])");
        assertThat(p.refusal("x".repeat(600), "h", false)).hasSize(64 + "origin \"...\" is malformed (expected scheme://host[:port])".length());
    }
}
