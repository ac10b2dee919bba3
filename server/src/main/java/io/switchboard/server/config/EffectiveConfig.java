package io.switchboard.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.switchboard.core.config.Check;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The configuration a node runs with, key by key, with every secret masked: what {@code switchboard
 * check-config} prints as YAML (it loads again as a config file and gives the same configuration, except
 * that a set secret reads {@code hidden}) and what the admin console's config page shows. An unset secret
 * stays empty, so a reader tells set from unset without the value. Credentials written into a URL
 * ({@code nats://user:password@host}, {@code https://token@collector}) are masked too, though the key
 * holding the URL is not a secret. Thread-safe (stateless).
 */
public final class EffectiveConfig {
    /** The user-info part of a URL: whatever sits between {@code scheme://} and the {@code @} before the host. */
    private static final Pattern URL_USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s,]+@");
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    private EffectiveConfig() {
    }

    /** Section name to key name to value (numbers and booleans as such, lists as lists, the rest as text). */
    public static Map<String, Map<String, Object>> values(SwitchboardConfig config) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            Object sectionValues = ConfigKeys.get(section, config);
            if (sectionValues instanceof Map<?, ?> entries) {
                out.put(section.getName(), entryValues(section.getName(), entries));
                continue;
            }
            Map<String, Object> keys = new LinkedHashMap<>();
            for (RecordComponent component : section.getType().getRecordComponents()) {
                ConfigKey key = ConfigKeys.find(section.getName() + "." + component.getName()).orElseThrow();
                keys.put(component.getName(), shown(key, ConfigKeys.get(component, sectionValues)));
            }
            out.put(section.getName(), keys);
        }
        return out;
    }

    /** A map section ({@code namespaces}): each entry's options that it sets, by entry name. */
    private static Map<String, Object> entryValues(String section, Map<?, ?> entries) {
        Map<String, Object> out = new LinkedHashMap<>();
        entries.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.comparing(String::valueOf)))
                .forEach(entry -> {
                    Map<String, Object> options = new LinkedHashMap<>();
                    for (RecordComponent option : entry.getValue().getClass().getRecordComponents()) {
                        Object value = ConfigKeys.get(option, entry.getValue());
                        if (value != null) {
                            ConfigKey key = ConfigKeys.find(section + "." + entry.getKey() + "." + option.getName())
                                    .orElseThrow();
                            options.put(option.getName(), shown(key, value));
                        }
                    }
                    out.put(String.valueOf(entry.getKey()), options);
                });
        return out;
    }

    /**
     * {@link #values} as text, for a page: section by section, each key with its value as a config file writes
     * it ({@code websocket → pingInterval → 25s}, lists comma-separated); a map section lists its entries'
     * options as {@code <name>.<option>}.
     */
    public static Map<String, Map<String, String>> of(SwitchboardConfig config) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        values(config).forEach((section, keys) -> {
            Map<String, String> flat = new LinkedHashMap<>();
            flatten("", keys, flat);
            out.put(section, flat);
        });
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> values, Map<String, String> out) {
        values.forEach((name, value) -> {
            if (value instanceof Map<?, ?> nested) {
                flatten(prefix + name + ".", nested, out);
            } else if (value instanceof List<?> items) {
                out.put(prefix + name, items.stream().map(String::valueOf).collect(Collectors.joining(", ")));
            } else {
                out.put(prefix + name, String.valueOf(value));
            }
        });
    }

    /** {@link #values} as a YAML document. */
    public static String yaml(SwitchboardConfig config) {
        try {
            return YAML.writeValueAsString(values(config));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the configuration as YAML", e);
        }
    }

    private static Object shown(ConfigKey key, Object value) {
        if (value instanceof List<?> items) {
            List<Object> out = new ArrayList<>();
            for (Object item : items) {
                out.add(key.secret() ? Check.HIDDEN : withoutCredentials(String.valueOf(item)));
            }
            return out;
        }
        if (key.secret()) {
            return value == null || value.toString().isEmpty() ? "" : Check.HIDDEN;
        }
        return switch (key.type()) {
            case INTEGER, BOOLEAN -> value;
            default -> withoutCredentials(key.type().format(value));
        };
    }

    private static String withoutCredentials(String text) {
        return URL_USER_INFO.matcher(text).replaceAll("$1" + Check.HIDDEN + "@");
    }
}
