package io.switchboard.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchboard.core.auth.RoomPatterns;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Security;
import io.switchboard.protocol.Names;
import io.switchboard.server.config.ValueType;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code switchboard token}: a JWT for a user, signed with the configured {@code security.jwtSecret}, with
 * the claims the server reads (docs/security.md): {@code sub}, {@code rooms}, {@code publish},
 * {@code broadcast}, {@code private}, {@code exp}, and {@code iss}/{@code aud} when the server checks them.
 * For trying auth out and for scripts; production tokens come from the application's backend.
 */
@Command(name = "token", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Print a JWT signed with the configured security.jwtSecret (HMAC), for a client to connect with.", "",
            "Example:",
            "  switchboard token --config switchboard.yaml --sub alice \\",
            "      --rooms 'chat:*' --publish 'chat:*' --ttl 1h",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the token is on stdout",
            "2:bad options, invalid configuration, or no HMAC secret configured"})
final class TokenCommand implements Callable<Integer> {
    /** Longest --ttl: a token that outlives a year is a password, not a session. */
    static final Duration MAX_TTL = Duration.ofDays(366);

    @Spec
    private CommandSpec spec;

    @Option(names = "--sub", required = true, paramLabel = "USER", description = "The user id (claim sub).")
    private String sub;

    @Option(names = "--rooms", split = ",", paramLabel = "PATTERN",
            description = "Rooms the user may join and read: names, prefix* or * (claim rooms; comma-separated or "
                + "repeated). Without it the server's security.allowedRooms apply.")
    private List<String> rooms;

    @Option(names = "--publish", split = ",", paramLabel = "PATTERN",
            description = "Rooms the user may publish to (claim publish). Without it: the same as --rooms.")
    private List<String> publish;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
            description = "Lifetime: 30m, 1h, 7d... (default ${DEFAULT-VALUE}; at most 366d).")
    private String ttl;

    @Option(names = "--broadcast", description = "May send broadcast (claim broadcast: true).")
    private boolean broadcast;

    @Option(names = "--private", description = "May send private messages (claim private: true).")
    private boolean privateMessages;

    @Mixin
    private ConfigOptions config;

    /** The environment the configuration is read with, and the clock; tests replace them. */
    Map<String, String> env = System.getenv();
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws JOSEException {
        Security security;
        try {
            security = config.load(env).security();
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("switchboard token: " + e.getMessage());
            err.flush();
            return ServeCommand.EXIT_BAD_CONFIG;
        }
        JWSAlgorithm algorithm = hmacAlgorithm(security);
        Duration lifetime = lifetime();
        if (!Names.isValidUserId(sub)) {
            throw new IllegalArgumentException("--sub must match [A-Za-z0-9_.:@-]{1,64}, got '" + sub + "'");
        }
        Instant now = clock.instant();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)));
        if (rooms != null) {
            claims.claim("rooms", patterns("--rooms", rooms));
        }
        if (publish != null) {
            claims.claim("publish", patterns("--publish", publish));
        }
        if (broadcast) {
            claims.claim("broadcast", true);
        }
        if (privateMessages) {
            claims.claim("private", true);
        }
        if (!security.jwtIssuer().isEmpty()) {
            claims.issuer(security.jwtIssuer());
        }
        if (!security.jwtAudience().isEmpty()) {
            claims.audience(security.jwtAudience());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).build(), claims.build());
        jwt.sign(new MACSigner(security.jwtSecret().getBytes(StandardCharsets.UTF_8)));
        PrintWriter out = spec.commandLine().getOut();
        out.println(jwt.serialize());
        out.flush();
        return 0;
    }

    /** The first HMAC algorithm the server accepts; none, or no secret, is a usage error that says what to set. */
    private JWSAlgorithm hmacAlgorithm(Security security) {
        String hmac = security.jwtAlgorithms().stream().filter(Security.HMAC_ALGORITHMS::contains).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("security.jwtAlgorithms of " + config.source()
                        + " accepts no HMAC algorithm (" + String.join(", ", security.jwtAlgorithms())
                        + "): tokens for public-key algorithms are signed with the private key, by your identity provider"));
        if (security.jwtSecret().isEmpty()) {
            throw new IllegalArgumentException("no security.jwtSecret in " + config.source()
                    + ": pass the server's config with --config FILE (switchboard genconfig writes one with a secret)");
        }
        return JWSAlgorithm.parse(hmac);
    }

    private Duration lifetime() {
        Duration d;
        try {
            d = ValueType.parseDuration(ttl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ttl must look like 30m, 1h or 7d, got '" + ttl + "'");
        }
        if (d.isNegative() || d.isZero() || d.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("--ttl must be more than 0 and at most 366d, got '" + ttl + "'");
        }
        return d;
    }

    private static List<String> patterns(String option, List<String> values) {
        List<String> cleaned = values.stream().map(String::strip).filter(v -> !v.isEmpty()).toList();
        for (String pattern : cleaned) {
            try {
                RoomPatterns.of(List.of(pattern));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + " '" + pattern + "': " + e.getMessage());
            }
        }
        return cleaned;
    }
}
