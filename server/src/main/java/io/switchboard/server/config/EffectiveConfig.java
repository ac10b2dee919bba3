package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The configuration a node runs with, key by key as a config file writes the values, with every secret
 * masked as messages mask it ({@link ConfigKey#shown}): what an operator may see of a running node (the admin
 * console's config page). An unset secret stays empty, so the page tells set from unset without the value.
 * Credentials written into a URL ({@code nats://user:password@host}, {@code https://token@collector}) are
 * masked too, though the key holding the URL is not a secret.
 */
public final class EffectiveConfig {
    /** The user-info part of a URL: whatever sits between {@code scheme://} and the {@code @} before the host. */
    private static final Pattern URL_USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s,]+@");

    private EffectiveConfig() {
    }

    /**
     * Section by section in the docs' order, each key with its value: {@code websocket → pingInterval → 25s}. A
     * map section lists its entries' options as {@code <name>.<option>}, only those set.
     */
    public static Map<String, Map<String, String>> of(SwitchboardConfig config) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (RecordComponent component : SwitchboardConfig.class.getRecordComponents()) {
            ConfigKeys.Section section = ConfigKeys.sections().stream()
                    .filter(s -> s.name().equals(component.getName())).findFirst().orElseThrow();
            Object value = ConfigKeys.get(component, config);
            out.put(section.name(), section.map() ? entries(section, value) : values(section, (Record) value));
        }
        return out;
    }

    private static Map<String, String> values(ConfigKeys.Section section, Record values) {
        Map<String, String> out = new LinkedHashMap<>();
        RecordComponent[] components = values.getClass().getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            ConfigKey key = section.keys().get(i);
            out.put(key.name(), shown(key, ConfigKeys.get(components[i], values)));
        }
        return out;
    }

    private static Map<String, String> entries(ConfigKeys.Section section, Object map) {
        Map<String, String> out = new LinkedHashMap<>();
        ((Map<?, ?>) map).forEach((name, entry) -> {
            RecordComponent[] components = entry.getClass().getRecordComponents();
            for (int i = 0; i < components.length; i++) {
                Object value = ConfigKeys.get(components[i], entry);
                if (value != null) {
                    out.put(name + "." + components[i].getName(), shown(section.keys().get(i), value));
                }
            }
        });
        return out;
    }

    private static String shown(ConfigKey key, Object value) {
        String text = key.type().format(value);
        return text.isEmpty() ? ""
                : key.shown(URL_USER_INFO.matcher(text).replaceAll("$1" + Check.HIDDEN + "@"));
    }
}
