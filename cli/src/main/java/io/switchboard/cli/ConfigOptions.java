package io.switchboard.cli;

import io.switchboard.server.config.ConfigLoader;
import io.switchboard.server.config.SwitchboardConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE} and {@code --set KEY=VALUE} of the commands that read the server's configuration
 * without running it ({@code token}, {@code check-config}): loaded with the same precedence as
 * {@code serve}, defaults &lt; file &lt; {@code SWITCHBOARD_*} environment &lt; {@code --set}.
 */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file, as for serve (default: built-in defaults and SWITCHBOARD_* variables).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any configuration key (repeatable).")
    List<String> settings = List.of();

    /** The configuration; throws {@code ConfigException} naming the key, the value and the rule. */
    SwitchboardConfig load(Map<String, String> env) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set " + s + " must have the form key=value");
            }
            overrides.put(s.substring(0, eq).trim(), s.substring(eq + 1));
        }
        return ConfigLoader.load(file, env, overrides);
    }

    /** Where the configuration came from, for messages. */
    String source() {
        return file == null ? "built-in defaults and SWITCHBOARD_* variables" : file.toString();
    }
}
