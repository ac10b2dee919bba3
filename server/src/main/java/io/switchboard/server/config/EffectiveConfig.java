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

/**
 * A loaded configuration written back as YAML, every key with its effective value, secrets masked: what
 * {@code switchboard check-config} prints. The output loads again as a config file and gives the same
 * configuration, except that a set secret reads {@code hidden}. Thread-safe (stateless).
 */
public final class EffectiveConfig {
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
                out.add(key.secret() ? Check.HIDDEN : String.valueOf(item));
            }
            return out;
        }
        if (key.secret()) {
            return value == null || value.toString().isEmpty() ? "" : Check.HIDDEN;
        }
        return switch (key.type()) {
            case INTEGER, BOOLEAN -> value;
            default -> key.type().format(value);
        };
    }
}
