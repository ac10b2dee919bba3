package io.switchboard.server.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The descriptions of the sections and keys, read from the javadoc of the section records in the
 * repository's sources: a key's {@code @param} is the one place its description is written, and a
 * section's is the first sentence of its record's javadoc. {@code {@code x}} becomes {@code `x`}.
 * Javadoc does not survive compilation, so this reads the sources and serves the docs generator,
 * which runs in a checkout; a running server needs no descriptions.
 *
 * <p>Immutable.
 */
final class ConfigJavadoc {
    private static final Pattern CODE = Pattern.compile("\\{@code ([^}]*)}");

    private final Map<String, String> sections;
    private final Map<String, String> keys;

    private ConfigJavadoc(Map<String, String> sections, Map<String, String> keys) {
        this.sections = sections;
        this.keys = keys;
    }

    /**
     * Reads the javadoc of every section record of {@link ConfigKeys#sections()} under {@code repositoryRoot}.
     *
     * @throws IllegalStateException if a record's source, its javadoc, or a key's {@code @param} is missing
     */
    static ConfigJavadoc read(Path repositoryRoot) {
        Map<String, String> sections = new LinkedHashMap<>();
        Map<String, String> keys = new LinkedHashMap<>();
        for (ConfigKeys.Section section : ConfigKeys.sections()) {
            String doc = recordJavadoc(repositoryRoot, section.record());
            Map<String, String> params = new LinkedHashMap<>();
            StringBuilder text = new StringBuilder();
            String param = null;
            for (String line : doc.split("\n")) {
                if (line.startsWith("@")) {
                    flush(param, text, sections, params, section.name());
                    Matcher m = Pattern.compile("@param (\\w+)\\s*(.*)").matcher(line);
                    param = m.matches() ? m.group(1) : "@"; // "@" marks a tag that is no @param
                    text.setLength(0);
                    text.append(m.matches() ? m.group(2) : "");
                } else {
                    text.append(' ').append(line);
                }
            }
            flush(param, text, sections, params, section.name());
            for (ConfigKey key : section.keys()) {
                String description = params.get(key.name());
                if (description == null || description.isEmpty()) {
                    throw new IllegalStateException("config key " + key.key() + " has no @param in the javadoc of "
                            + section.record().getName());
                }
                keys.put(key.key(), description);
            }
        }
        return new ConfigJavadoc(Map.copyOf(sections), Map.copyOf(keys));
    }

    /** The repository root: the nearest directory at or above the working directory that holds {@code core/src}. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("core/src/main/java"))) {
                return d;
            }
        }
        throw new IllegalStateException("no repository root (a directory holding core/src/main/java) at or above "
                + dir);
    }

    /** The first sentence of the section record's javadoc: {@code Network listener.} */
    String section(String name) {
        return sections.get(name);
    }

    /** The key's {@code @param} text. */
    String key(String key) {
        return keys.get(key);
    }

    private static void flush(String param, StringBuilder text, Map<String, String> sections,
                              Map<String, String> params, String section) {
        String cleaned = CODE.matcher(text.toString()).replaceAll("`$1`").replaceAll("\\s+", " ").strip();
        if (param == null) {
            Matcher first = Pattern.compile("^.*?\\.(?=\\s|$)").matcher(cleaned);
            sections.put(section, first.find() ? first.group() : cleaned);
        } else if (!param.equals("@")) {
            params.put(param, cleaned);
        }
    }

    /** The javadoc before {@code public record Name(}, its lines without the leading {@code *}. */
    private static String recordJavadoc(Path root, Class<?> record) {
        String[] packageParts = record.getPackageName().split("\\.");
        // io.switchboard.<module>...: each module's sources are under <module>/src/main/java.
        Path source = root.resolve(packageParts[2]).resolve("src/main/java")
                .resolve(record.getName().replace('.', '/') + ".java");
        String text;
        try {
            text = Files.readString(source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the source of " + record.getName() + " at " + source, e);
        }
        Matcher m = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*public record " + record.getSimpleName() + "\\(",
                Pattern.DOTALL).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no javadoc before 'public record " + record.getSimpleName() + "(' in "
                    + source);
        }
        StringBuilder lines = new StringBuilder();
        for (String line : m.group(1).split("\n")) {
            lines.append(line.replaceFirst("^\\s*\\*\\s?", "").strip()).append('\n');
        }
        return lines.toString().strip();
    }
}
