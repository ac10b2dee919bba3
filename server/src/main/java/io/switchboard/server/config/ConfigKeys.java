package io.switchboard.server.config;

import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import io.switchboard.protocol.internal.EditDistance;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The table of configuration keys, derived from the records themselves: the sections are the
 * components of {@link SwitchboardConfig}, the keys the components of each section record, the
 * types those components' Java types, the defaults the values of {@link SwitchboardConfig#defaults()},
 * the secrets the components marked {@link Secret}. Adding a component to a record adds the key, its
 * environment variable and its docs row; its description is the record's {@code @param}, which
 * {@link ConfigJavadoc} reads for the docs.
 *
 * <p>Thread-safe: immutable after class initialisation.
 */
public final class ConfigKeys {

    /**
     * {@code SWITCHBOARD_*} variables that name no key but are not typos: launchers read them.
     * Every other unknown {@code SWITCHBOARD_*} variable fails the start.
     */
    public static final Set<String> ENV_ALLOW_LIST = Set.of("SWITCHBOARD_HOME", "SWITCHBOARD_OPTS",
            "SWITCHBOARD_JAVA_OPTS", "SWITCHBOARD_LOG_LEVEL");

    /** Sections the server reads and validates but does not act on yet. */
    private static final Set<String> NOT_USED_YET = Set.of();

    /**
     * One section: a component of {@link SwitchboardConfig} and its record.
     *
     * @param name the component name, the first part of its keys ({@code websocket})
     * @param record the section record, whose javadoc describes the section and its keys
     * @param usedByServer false for sections that are accepted and validated but not acted on yet
     * @param keys the section's keys in record order
     */
    public record Section(String name, Class<?> record, boolean usedByServer, List<ConfigKey> keys) {
    }

    private static final List<Section> SECTIONS = readSections();
    private static final Map<String, ConfigKey> BY_KEY = index(ConfigKey::key);
    private static final List<ConfigKey> ALL = List.copyOf(BY_KEY.values());
    private static final Map<String, ConfigKey> BY_ENV = index(ConfigKey::envVar);

    private ConfigKeys() {
    }

    /** The sections in record order. */
    public static List<Section> sections() {
        return SECTIONS;
    }

    /** Every key, section by section, in record order. */
    public static List<ConfigKey> all() {
        return ALL;
    }

    /** The key spelled exactly {@code websocket.pingInterval}. */
    public static Optional<ConfigKey> find(String key) {
        return Optional.ofNullable(BY_KEY.get(key));
    }

    /** The key whose environment variable is exactly {@code name}. */
    public static Optional<ConfigKey> findByEnv(String name) {
        return Optional.ofNullable(BY_ENV.get(name));
    }

    /** {@code " (did you mean websocket.pingInterval?)"}, or empty when no key is close. */
    static String didYouMean(String unknown, Function<ConfigKey, String> spelling) {
        return suggest(unknown, all(), spelling).map(s -> " (did you mean " + s + "?)")
                .or(() -> sectionNamedIn(unknown).map(s -> " (the " + s.name() + " section has "
                        + String.join(", ", s.keys().stream().map(spelling).toList()) + ")"))
                .orElse("");
    }

    /**
     * For a key no spelling is near: the section its last part naming one names, so that
     * {@code cluster.redis.url} can list the keys the redis section has.
     */
    static Optional<Section> sectionNamedIn(String unknown) {
        String[] parts = unknown.toLowerCase(Locale.ROOT).split("[._]");
        for (int i = parts.length - 1; i >= 0; i--) {
            String part = parts[i];
            Optional<Section> named = sections().stream()
                    .filter(s -> s.name().toLowerCase(Locale.ROOT).equals(part)).findFirst();
            if (named.isPresent()) {
                return named;
            }
        }
        return Optional.empty();
    }

    /**
     * The spelling of the key a typo most likely meant: the nearest by edit distance if within a
     * few edits, otherwise the only key with the same name in another section
     * ({@code server.pingInterval} → {@code websocket.pingInterval}).
     */
    static Optional<String> suggest(String unknown, Collection<ConfigKey> keys, Function<ConfigKey, String> spelling) {
        String lower = unknown.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey key : keys) {
            int d = EditDistance.between(lower, spelling.apply(key).toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = spelling.apply(key);
                bestDistance = d;
            }
        }
        if (best != null && bestDistance <= Math.max(2, unknown.length() / 6)) {
            return Optional.of(best);
        }
        List<String> sameName = new ArrayList<>();
        for (ConfigKey key : keys) {
            // The spelling after the section: ".pinginterval" or "_ping_interval".
            String spelled = spelling.apply(key).toLowerCase(Locale.ROOT);
            String afterSection = spelled.substring(spelled.indexOf(key.section()) + key.section().length());
            if (lower.endsWith(afterSection)) {
                sameName.add(spelling.apply(key));
            }
        }
        return sameName.size() == 1 ? Optional.of(sameName.get(0)) : Optional.empty();
    }

    /**
     * Builds the config from parsed values by key, taking the default for every key not given.
     * A record's own validation failure propagates as its {@link ConfigException}.
     */
    static SwitchboardConfig build(Map<String, Object> values) {
        SwitchboardConfig defaults = SwitchboardConfig.defaults();
        RecordComponent[] sections = SwitchboardConfig.class.getRecordComponents();
        Object[] built = new Object[sections.length];
        for (int s = 0; s < sections.length; s++) {
            Record sectionDefaults = (Record) get(sections[s], defaults);
            RecordComponent[] components = sections[s].getType().getRecordComponents();
            Object[] args = new Object[components.length];
            for (int c = 0; c < components.length; c++) {
                String key = sections[s].getName() + "." + components[c].getName();
                args[c] = values.containsKey(key) ? values.get(key) : get(components[c], sectionDefaults);
            }
            built[s] = construct(sections[s].getType(), args);
        }
        return (SwitchboardConfig) construct(SwitchboardConfig.class, built);
    }

    private static List<Section> readSections() {
        SwitchboardConfig defaults = SwitchboardConfig.defaults();
        List<Section> sections = new ArrayList<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            Record sectionDefaults = (Record) get(section, defaults);
            List<ConfigKey> keys = new ArrayList<>();
            for (RecordComponent component : section.getType().getRecordComponents()) {
                String key = section.getName() + "." + component.getName();
                ValueType type = ValueType.of(key, component.getGenericType());
                keys.add(new ConfigKey(section.getName(), component.getName(), type,
                        type.format(get(component, sectionDefaults)), component.isAnnotationPresent(Secret.class)));
            }
            sections.add(new Section(section.getName(), section.getType(), !NOT_USED_YET.contains(section.getName()),
                    List.copyOf(keys)));
        }
        return List.copyOf(sections);
    }

    private static Map<String, ConfigKey> index(Function<ConfigKey, String> spelling) {
        Map<String, ConfigKey> index = new LinkedHashMap<>();
        for (Section section : SECTIONS) {
            for (ConfigKey key : section.keys()) {
                if (index.put(spelling.apply(key), key) != null) {
                    throw new IllegalStateException("two config keys are spelled " + spelling.apply(key));
                }
            }
        }
        return Collections.unmodifiableMap(index);
    }

    static Object get(RecordComponent component, Object record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read config component " + component.getName(), e);
        }
    }

    private static Object construct(Class<?> recordType, Object[] args) {
        Class<?>[] types = Arrays.stream(recordType.getRecordComponents())
                .map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            Constructor<?> canonical = recordType.getDeclaredConstructor(types);
            return canonical.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException("cannot build " + recordType.getSimpleName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + recordType.getSimpleName(), e);
        }
    }
}
