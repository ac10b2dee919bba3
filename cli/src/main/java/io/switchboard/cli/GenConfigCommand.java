package io.switchboard.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code switchboard genconfig}: a starter configuration with authentication on, a generated JWT secret
 * and a generated API key, so that the first secure start needs no secret made up by hand.
 */
@Command(name = "genconfig", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Write a starter YAML configuration with authentication on, a generated JWT secret "
                + "(security.jwtSecret) and a generated API key (api.keys).", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "1:the file could not be written", "2:the file exists (use --force)"})
final class GenConfigCommand implements Callable<Integer> {
    /** 32 random bytes each: HS256 wants a key of at least its 256-bit output. */
    static final int SECRET_BYTES = 32;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write to FILE (created readable by its owner only) instead of stdout.")
    private Path output;

    @Option(names = "--force", description = "Overwrite FILE if it exists.")
    private boolean force;

    /** Source of the secrets; tests replace it. */
    SecureRandom random = new SecureRandom();

    @Override
    public Integer call() {
        String yaml = starter(secret("", SECRET_BYTES), secret("sb_", SECRET_BYTES));
        PrintWriter err = spec.commandLine().getErr();
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(yaml);
            out.flush();
            return 0;
        }
        try {
            write(output, yaml, force);
        } catch (FileAlreadyExistsException e) {
            err.println("switchboard genconfig: " + output + " exists; choose another file or pass --force");
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("switchboard genconfig: cannot write " + output + ": " + e.getMessage());
            err.flush();
            return 1;
        }
        err.println("Wrote " + output + ". Start the server with: switchboard serve --config " + output);
        err.println("A token for a client: switchboard token --config " + output + " --sub alice --rooms 'chat:*'");
        err.flush();
        return 0;
    }

    private String secret(String prefix, int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String starter(String jwtSecret, String apiKey) {
        return """
                # Switchboard configuration, written by `switchboard genconfig`. Keep this file private: it holds the
                # JWT secret and the API key. Every key, its default and its environment variable are in
                # docs/configuration.md; switchboard.example.yaml lists them all with comments.
                # Check it with: switchboard check-config --config THIS_FILE

                server:
                  host: 0.0.0.0
                  port: 8080

                security:
                  # Every WebSocket client needs a JWT signed with jwtSecret (HS256): its sub is the user id, its
                  # rooms and publish claims the rooms it may read and write. Make one for trying it out:
                  #   switchboard token --config THIS_FILE --sub alice --rooms 'chat:*' --ttl 1h
                  # Your backend signs them the same way for real users (docs/security.md).
                  requireAuth: true
                  jwtSecret: "%s"
                  # Browsers may connect from these origins besides the server's own (e.g. https://app.example.com).
                  allowedOrigins: []

                api:
                  # Backends call /api/publish and the rest with: Authorization: Bearer <key>
                  keys:
                    - "%s"
                """.formatted(jwtSecret, apiKey);
    }

    private static void write(Path file, String text, boolean overwrite) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (!overwrite && Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Path parent = file.toAbsolutePath().getParent();
        // Written to a private temporary file and moved into place: never readable by others, even briefly.
        Path tmp;
        try {
            tmp = Files.createTempFile(parent, ".switchboard-", ".yaml",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(parent, ".switchboard-", ".yaml");
        }
        try {
            Files.write(tmp, bytes, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
