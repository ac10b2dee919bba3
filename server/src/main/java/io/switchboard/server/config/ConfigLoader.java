package io.switchboard.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.switchboard.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Loads the configuration for {@code switchboard serve} from four layers, each overriding the one
 * before it key by key: the defaults of {@link SwitchboardConfig#defaults()}, a YAML file,
 * {@code SWITCHBOARD_*} environment variables, and command-line overrides.
 *
 * <p>Every value given in any layer is parsed, even one a later layer overrides: a malformed
 * file value fails the start rather than waiting for the day the override is removed. Unknown
 * keys fail too, naming where they came from. Failures are {@link ConfigException}s naming the
 * key, the value (secrets show as {@code (hidden)}) and the rule. Ranges and cross-field rules
 * are the records' own, checked once on the merged values. {@code docs/configuration.md} is the
 * user-facing description.
 *
 * <p>Thread-safe: stateless.
 */
public final class ConfigLoader {

    /** Rejects a key repeated in one mapping instead of silently keeping the last. */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private ConfigLoader() {
    }

    /**
     * Loads and validates the configuration.
     *
     * @param yamlFileOrNull the YAML file, or null for none
     * @param env the process environment; only {@code SWITCHBOARD_*} entries are read
     * @param overrides dotted key to value, from command-line flags ({@code server.port=9000})
     * @throws ConfigException for the first value, key or file that is wrong
     */
    public static SwitchboardConfig load(Path yamlFileOrNull, Map<String, String> env, Map<String, String> overrides) {
        Map<String, Object> values = new HashMap<>();
        if (yamlFileOrNull != null) {
            values.putAll(fromFile(yamlFileOrNull));
        }
        values.putAll(fromEnv(env));
        values.putAll(fromOverrides(overrides));
        return ConfigKeys.build(values);
    }

    /** Parsed values by key from the environment, ignoring everything not {@code SWITCHBOARD_*}. */
    static Map<String, Object> fromEnv(Map<String, String> env) {
        Map<String, Object> values = new HashMap<>();
        // Sorted so that with two bad variables the same one is reported every time.
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ConfigKey.ENV_PREFIX) || ConfigKeys.ENV_ALLOW_LIST.contains(name)) {
                continue;
            }
            ConfigKey key = ConfigKeys.findByEnv(name).orElseThrow(() -> new ConfigException(
                    "unknown configuration key in environment variable " + name
                            + ConfigKeys.didYouMean(name, ConfigKey::envVar)));
            values.put(key.key(), key.parse(e.getValue()));
        }
        return values;
    }

    /** Parsed values by key from command-line overrides. */
    static Map<String, Object> fromOverrides(Map<String, String> overrides) {
        Map<String, Object> values = new HashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(overrides).entrySet()) {
            values.put(e.getKey(), known(e.getKey(), "on the command line").parse(e.getValue()));
        }
        return values;
    }

    /** Parsed values by key from a YAML file: nested sections, or dotted keys, or both. */
    static Map<String, Object> fromFile(Path file) {
        Object root = readYaml(file);
        Map<String, Object> values = new HashMap<>();
        if (root == null || "".equals(root)) {
            return values; // an empty file sets nothing
        }
        if (!(root instanceof Map)) {
            throw new ConfigException("cannot read config file " + file
                    + ": the top level must be a mapping of sections such as server:");
        }
        collect(root, "", file, values);
        return values;
    }

    private static void collect(Object node, String path, Path file, Map<String, Object> values) {
        if (node instanceof Map<?, ?> mapping && ConfigKeys.find(path).isEmpty()) {
            for (Map.Entry<?, ?> entry : mapping.entrySet()) {
                String name = (String) entry.getKey();
                collect(entry.getValue(), path.isEmpty() ? name : path + "." + name, file, values);
            }
            return;
        }
        String where = "in config file " + file;
        if (isSection(path)) {
            throw new ConfigException("configuration section " + path + " " + where
                    + " must be a mapping of keys such as " + path + "." + firstKeyOf(path));
        }
        ConfigKey key = known(path, where);
        if (values.containsKey(key.key())) {
            throw new ConfigException(key.key() + " is set twice " + where);
        }
        if (node instanceof Map) {
            throw new ConfigException(key.key(), key.shown(node),
                    key.type() == ValueType.LIST ? "must be a list" : "must be a single value, not a mapping");
        }
        if (node instanceof List<?> items && !items.stream().allMatch(String.class::isInstance)) {
            throw new ConfigException(key.key(), key.shown(node), "must be a list of plain values");
        }
        values.put(key.key(), key.parse(node));
    }

    private static ConfigKey known(String key, String where) {
        return ConfigKeys.find(key).orElseThrow(() -> new ConfigException("unknown configuration key " + key
                + " " + where + ConfigKeys.didYouMean(key, ConfigKey::key)));
    }

    private static boolean isSection(String name) {
        return ConfigKeys.sections().stream().anyMatch(s -> s.name().equals(name));
    }

    private static String firstKeyOf(String section) {
        return ConfigKeys.sections().stream().filter(s -> s.name().equals(section)).findFirst()
                .orElseThrow().keys().get(0).name();
    }

    /**
     * The file as nested {@code Map}s and {@code List}s of scalar texts. Scalars are kept as
     * written, not as YAML 1.1 typed them: {@code yes} stays the text {@code yes} (an error for a
     * boolean, as it is in an environment variable) and {@code nodeId: no} is the text {@code no}.
     */
    private static Object readYaml(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("cannot read config file " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException("cannot read config file " + file + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        try (JsonParser parser = YAML.createParser(bytes)) {
            return parser.nextToken() == null ? null : readValue(parser, file);
        } catch (JacksonException e) {
            throw new ConfigException("cannot read config file " + file + ": " + yamlError(e));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    private static Object readValue(JsonParser parser, Path file) throws IOException {
        if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
            // The parser hands an alias over as its anchor's name, not the anchored value.
            JsonLocation at = parser.currentTokenLocation();
            throw new ConfigException("cannot read config file " + file + ": YAML aliases are not supported (line "
                    + at.getLineNr() + ", column " + at.getColumnNr() + ")");
        }
        switch (parser.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> mapping = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    parser.nextToken();
                    mapping.put(name, readValue(parser, file));
                }
                return mapping;
            }
            case START_ARRAY -> {
                List<Object> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(parser, file));
                }
                return items;
            }
            case VALUE_NULL -> {
                return ""; // key: with nothing after it, ~ or null
            }
            default -> {
                return parser.getText();
            }
        }
    }

    /**
     * The parser's complaint with its position, without the source excerpt the parser appends:
     * SnakeYAML quotes the offending line indented under its context and problem lines, and that
     * line may hold a secret ({@code jwtSecret: "abc...}). Only the unindented lines are kept.
     */
    private static String yamlError(JacksonException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String complaint = message.lines().filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
                .collect(Collectors.joining(": "));
        String first = complaint.isEmpty() ? "invalid YAML" : complaint;
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? first
                : first + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
