package io.switchboard.core.config;

/** A configuration value that breaks its rule. The message names the key, the value and the rule. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String key, Object value, String rule) {
        super(key + " (" + value + ") " + rule);
    }
}
