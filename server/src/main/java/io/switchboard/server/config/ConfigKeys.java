package io.switchboard.server.config;

import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import io.switchboard.protocol.internal.EditDistance;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
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
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The table of configuration keys, derived from the records themselves: the sections are the
 * components of {@link SwitchboardConfig}, the keys the components of each section record, the
 * types those components' Java types, the defaults the values of {@link SwitchboardConfig#defaults()},
 * the secrets the components marked {@link Secret}. Adding a component to a record adds the key, its
 * environment variable and its docs row; its description is the record's {@code @param}, which
 * {@link ConfigJavadoc} reads for the docs.
 *
 * <p>A component of type {@code Map<String, R>} is a map section ({@code namespaces}): its keys are
 * {@code <section>.<name>.<option>} for any name and each component of {@code R}, its environment variables
 * {@code SWITCHBOARD_<SECTION>_<NAME>_<OPTION>}. {@code R}'s components are boxed and null when not set;
 * {@code R} gives each option's default text in a static {@code Map<String, String> DEFAULTS}, and whoever
 * holds the map checks names and values (the entries' rules depend on other sections).
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
     * @param keys the section's keys in record order; for a map section, one per option with the entry's
     *     name written {@value #ENTRY}
     * @param map whether the section is a map of named entries of {@code record}
     */
    public record Section(String name, Class<?> record, boolean usedByServer, List<ConfigKey> keys, boolean map) {
    }

    /** How the docs write the name of a map section's entry: {@code namespaces.<name>.historySize}. */
    public static final String ENTRY = "<name>";

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

    /** The key spelled exactly {@code websocket.pingInterval}, or an option of a map section's entry. */
    public static Optional<ConfigKey> find(String key) {
        ConfigKey fixed = BY_KEY.get(key);
        if (fixed != null) {
            return Optional.of(fixed);
        }
        for (Section section : SECTIONS) {
            int dot = key.lastIndexOf('.');
            if (section.map() && key.startsWith(section.name() + ".") && dot > section.name().length() + 1) {
                String entry = key.substring(section.name().length() + 1, dot);
                String option = key.substring(dot + 1);
                Optional<ConfigKey> found = section.keys().stream().filter(k -> k.name().equals(option)).findFirst()
                        .map(k -> entryKey(k, section, entry));
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** The key whose environment variable is exactly {@code name}. */
    public static Optional<ConfigKey> findByEnv(String name) {
        ConfigKey fixed = BY_ENV.get(name);
        if (fixed != null) {
            return Optional.of(fixed);
        }
        for (Section section : SECTIONS) {
            String prefix = ConfigKey.ENV_PREFIX + section.name().toUpperCase(Locale.ROOT) + "_";
            if (!section.map() || !name.startsWith(prefix)) {
                continue;
            }
            String rest = name.substring(prefix.length());
            for (ConfigKey option : section.keys()) {
                String suffix = "_" + ConfigKey.upperSnake(option.name());
                if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
                    String entry = rest.substring(0, rest.length() - suffix.length()).toLowerCase(Locale.ROOT);
                    return Optional.of(entryKey(option, section, entry));
                }
            }
        }
        return Optional.empty();
    }

    private static ConfigKey entryKey(ConfigKey option, Section section, String entry) {
        return new ConfigKey(section.name() + "." + entry, option.name(), option.type(), option.defaultValue(),
                option.secret());
    }

    /** {@code " (did you mean websocket.pingInterval?)"}, or empty when no key is close. */
    static String didYouMean(String unknown, Function<ConfigKey, String> spelling) {
        List<ConfigKey> candidates = new ArrayList<>(all());
        SECTIONS.stream().filter(Section::map).forEach(s -> candidates.addAll(s.keys()));
        return suggest(unknown, candidates, spelling).map(s -> " (did you mean " + s + "?)")
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
            int sectionEnd = spelled.indexOf(key.section()) + key.section().length();
            String afterSection = spelled.substring(sectionEnd);
            // Only a key put in another section ("server.pingInterval"), not one nested deeper
            // ("cluster.redis.url"), which the section hint answers better.
            if (lower.endsWith(afterSection) && separators(lower.substring(0, lower.length() - afterSection.length()))
                    == separators(spelled.substring(0, sectionEnd))) {
                sameName.add(spelling.apply(key));
            }
        }
        return sameName.size() == 1 ? Optional.of(sameName.get(0)) : Optional.empty();
    }

    private static long separators(String spelling) {
        return spelling.chars().filter(c -> c == '.' || c == '_').count();
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
            if (sections[s].getType() == Map.class) {
                built[s] = buildMap(sections[s], values);
                continue;
            }
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

    /** A map section's entries: the values whose keys are {@code <section>.<name>.<option>}, by name. */
    private static Map<String, Object> buildMap(RecordComponent section, Map<String, Object> values) {
        Class<?> entryType = entryType(section);
        RecordComponent[] options = entryType.getRecordComponents();
        Map<String, Object[]> entries = new LinkedHashMap<>();
        String prefix = section.getName() + ".";
        for (Map.Entry<String, Object> v : new TreeMap<>(values).entrySet()) {
            String key = v.getKey();
            int dot = key.lastIndexOf('.');
            if (!key.startsWith(prefix) || dot <= prefix.length()) {
                continue;
            }
            String option = key.substring(dot + 1);
            for (int c = 0; c < options.length; c++) {
                if (options[c].getName().equals(option)) {
                    entries.computeIfAbsent(key.substring(prefix.length(), dot), n -> new Object[options.length])[c] =
                            v.getValue();
                }
            }
        }
        Map<String, Object> built = new LinkedHashMap<>();
        entries.forEach((name, args) -> built.put(name, construct(entryType, args)));
        return built;
    }

    private static Class<?> entryType(RecordComponent mapComponent) {
        return (Class<?>) ((ParameterizedType) mapComponent.getGenericType())
                .getActualTypeArguments()[1];
    }

    @SuppressWarnings("unchecked")
    private static Section mapSection(RecordComponent section) {
        Class<?> entryType = entryType(section);
        Map<String, String> defaults;
        try {
            defaults = (Map<String, String>) entryType.getField("DEFAULTS").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(entryType.getName() + " needs a public static DEFAULTS map", e);
        }
        List<ConfigKey> keys = new ArrayList<>();
        for (RecordComponent component : entryType.getRecordComponents()) {
            String key = section.getName() + "." + ENTRY + "." + component.getName();
            String defaultText = defaults.get(component.getName());
            if (defaultText == null) {
                throw new IllegalStateException(entryType.getName() + ".DEFAULTS has no " + component.getName());
            }
            keys.add(new ConfigKey(section.getName() + "." + ENTRY, component.getName(),
                    ValueType.of(key, component.getGenericType()), defaultText,
                    component.isAnnotationPresent(Secret.class)));
        }
        return new Section(section.getName(), entryType, true, List.copyOf(keys), true);
    }

    private static List<Section> readSections() {
        SwitchboardConfig defaults = SwitchboardConfig.defaults();
        List<Section> sections = new ArrayList<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            if (section.getType() == Map.class) {
                sections.add(mapSection(section));
                continue;
            }
            Record sectionDefaults = (Record) get(section, defaults);
            List<ConfigKey> keys = new ArrayList<>();
            for (RecordComponent component : section.getType().getRecordComponents()) {
                String key = section.getName() + "." + component.getName();
                ValueType type = ValueType.of(key, component.getGenericType());
                keys.add(new ConfigKey(section.getName(), component.getName(), type,
                        type.format(get(component, sectionDefaults)), component.isAnnotationPresent(Secret.class)));
            }
            sections.add(new Section(section.getName(), section.getType(), !NOT_USED_YET.contains(section.getName()),
                    List.copyOf(keys), false));
        }
        return List.copyOf(sections);
    }

    private static Map<String, ConfigKey> index(Function<ConfigKey, String> spelling) {
        Map<String, ConfigKey> index = new LinkedHashMap<>();
        for (Section section : SECTIONS) {
            if (section.map()) {
                continue; // no fixed keys: find() and findByEnv() read an entry's name from the key
            }
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
