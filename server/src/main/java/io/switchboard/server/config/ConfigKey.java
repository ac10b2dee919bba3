package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import java.util.List;
import java.util.Locale;

/**
 * One configuration key: a component of a {@link SwitchboardConfig} section record. Immutable.
 *
 * @param section the section, a component of {@link SwitchboardConfig} ({@code websocket}), or for an entry
 *     of a map section the section and the entry's name ({@code namespaces.dash})
 * @param name the component of the section record ({@code pingInterval})
 * @param type how values are written and parsed
 * @param defaultValue the default as a config file writes it ({@code 25s}); empty for an empty string or list
 * @param secret the value is never shown in messages, logs or {@code toString}
 */
public record ConfigKey(String section, String name, ValueType type, String defaultValue, boolean secret) {

    /** Prefix of every environment variable the loader reads. */
    public static final String ENV_PREFIX = "SWITCHBOARD_";

    /** The dotted key: {@code websocket.pingInterval}. */
    public String key() {
        return section + "." + name;
    }

    /** The environment variable: {@code SWITCHBOARD_WEBSOCKET_PING_INTERVAL}. */
    public String envVar() {
        return ENV_PREFIX + section.toUpperCase(Locale.ROOT).replace('.', '_') + "_" + upperSnake(name);
    }

    /** {@code pingInterval} → {@code PING_INTERVAL}, {@code ioThreads} → {@code IO_THREADS}. */
    static String upperSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /**
     * Parses a value from any source: a {@code String}, or a {@code List<String>} from a YAML
     * sequence. Throws {@link ConfigException} naming the key, the value (or {@code hidden}) and the rule.
     */
    Object parse(Object raw) {
        try {
            if (raw instanceof List<?> items) {
                return type.parseList(items.stream().map(String::valueOf).toList());
            }
            return type.parseText((String) raw);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key(), shown(raw), e.getMessage());
        }
    }

    /** The value as messages may show it: secrets never appear. */
    String shown(Object raw) {
        return secret ? Check.HIDDEN : String.valueOf(raw);
    }
}
