package io.switchboard.cli;

import io.switchboard.core.config.ConfigException;
import io.switchboard.server.config.ConfigLoader;
import io.switchboard.server.config.SwitchboardConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE} and {@code --set KEY=VALUE} of every command that reads the server's configuration
 * ({@code serve}, {@code token}, {@code check-config}), so all of them load it the same way: defaults &lt;
 * file &lt; {@code SWITCHBOARD_*} environment &lt; {@code --set} (and a command's own flags, such as
 * {@code serve --port}).
 */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file; see switchboard.example.yaml for every key (default: built-in "
                + "defaults and SWITCHBOARD_* variables).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Set any configuration key, e.g. --set websocket.pingInterval=20s (repeatable).")
    List<String> settings = List.of();

    /** The configuration; throws {@code ConfigException} naming the key, the value and the rule. */
    SwitchboardConfig load(Map<String, String> env) {
        return load(env, Map.of());
    }

    /** The configuration with a command's own flags ({@code flags}, as keys and values) over {@code --set}. */
    SwitchboardConfig load(Map<String, String> env, Map<String, String> flags) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set " + s + " must have the form key=value");
            }
            overrides.put(s.substring(0, eq).trim(), s.substring(eq + 1));
        }
        overrides.putAll(flags);
        return ConfigLoader.load(file, env, overrides);
    }

    /** Where the configuration came from, for messages. */
    String source() {
        return file == null ? "built-in defaults and SWITCHBOARD_* variables" : file.toString();
    }
}
