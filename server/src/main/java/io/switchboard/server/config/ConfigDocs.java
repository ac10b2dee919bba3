package io.switchboard.server.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Renders {@code docs/configuration.md} and {@code switchboard.example.yaml} from {@link ConfigKeys}
 * and the records' javadoc ({@link ConfigJavadoc}), so the docs cannot drift from the code: {@code ConfigDocsTest} fails when the committed files
 * differ from what this renders. Regenerate with {@value #REGENERATE}.
 *
 * <p>Thread-safe: stateless.
 */
public final class ConfigDocs {

    /** The command that rewrites the committed files; failure messages quote it. */
    public static final String REGENERATE =
            "./mvnw -q -pl server -am verify -Dtest=ConfigDocsTest -Dsurefire.failIfNoSpecifiedTests=false"
                    + " -Dswitchboard.updateDocs=true";

    /** Path of the reference, relative to the repository root. */
    public static final String MARKDOWN_PATH = "docs/configuration.md";

    /** Path of the example file, relative to the repository root. */
    public static final String EXAMPLE_PATH = "switchboard.example.yaml";

    private static final String NOT_USED_YET = "Accepted and validated, not used by the server yet.";

    private ConfigDocs() {
    }

    /** Writes both files under the repository root given as the only argument (default: the current directory). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        ConfigJavadoc docs = ConfigJavadoc.read(root);
        Files.createDirectories(root.resolve(MARKDOWN_PATH).getParent());
        Files.writeString(root.resolve(MARKDOWN_PATH), markdown(docs));
        Files.writeString(root.resolve(EXAMPLE_PATH), exampleYaml(docs));
    }

    /** The configuration reference, described by the javadoc of the checkout the working directory is in. */
    public static String markdown() {
        return markdown(ConfigJavadoc.read(ConfigJavadoc.repositoryRoot()));
    }

    /** An example file setting every key to its default, described as {@link #markdown()} is. */
    public static String exampleYaml() {
        return exampleYaml(ConfigJavadoc.read(ConfigJavadoc.repositoryRoot()));
    }

    private static String markdown(ConfigJavadoc docs) {
        StringBuilder md = new StringBuilder();
        md.append("""
                # Configuration

                <!-- Generated from the config records by io.switchboard.server.config.ConfigDocs; do not edit.
                     Regenerate: %s -->

                `switchboard serve` needs no configuration: every key has a default, listed below. A
                commented file with every key at its default is `switchboard.example.yaml` in the repository root.

                ## Precedence

                Four layers, each overriding the ones before it key by key:

                1. the defaults in the tables below;
                2. the YAML file given to `switchboard serve`;
                3. environment variables `SWITCHBOARD_*`;
                4. command-line flags: `--set key=value` (repeatable) and shortcuts such as `--port 9000`
                   for `--set server.port=9000`.

                Every value in every layer must be well formed for its type (a duration, a size, ...), even one
                a later layer overrides; ranges and rules between keys apply to the merged result. Unknown keys
                are errors, not ignored, so a typo cannot silently leave a default in place.

                ## The YAML file

                Sections nest their keys; a dotted key at the top level means the same:

                ```yaml
                websocket:
                  pingInterval: 25s
                history.ttl: 5m
                ```

                Setting one key twice in a file (nested and dotted) is an error. Values are read as written
                and parsed by the same rules as environment variables, not by YAML 1.1 typing: `yes` and `on`
                are not booleans, `0x10` and `1_000` are not numbers, `nodeId: no` is the text `no`. Anchors
                and aliases are not supported.

                ## Environment variables

                `SWITCHBOARD_` + section + `_` + key in UPPER_SNAKE_CASE: `websocket.pingInterval` is
                `SWITCHBOARD_WEBSOCKET_PING_INTERVAL`, `hub.notifyGlobalPresence` is
                `SWITCHBOARD_HUB_NOTIFY_GLOBAL_PRESENCE`. Lists are comma-separated:
                `SWITCHBOARD_API_KEYS=key-one-0123456789,key-two-0123456789`.

                Variables not starting with `SWITCHBOARD_` are ignored. A `SWITCHBOARD_*` variable that names
                no key stops the server (typo protection), except these, which launchers read: %s.

                ## Types

                | Type | How to write it |
                |---|---|
                """.formatted(REGENERATE, ConfigKeys.ENV_ALLOW_LIST.stream().sorted()
                .map(name -> "`" + name + "`").collect(Collectors.joining(", "))));
        for (ValueType type : ValueType.values()) {
            md.append("| ").append(type.docName).append(" | ").append(type.syntax).append(" |\n");
        }
        md.append("""

                ## Errors

                A bad setting stops the start with one line naming the key, the value and the rule, for example
                `websocket.pingInterval (abc) must be a duration like 25s, 500ms or 5m`, or
                `websocket.pingInterval (70s) must be shorter than websocket.pongTimeout (60s)`. Unknown keys say
                where they were found and suggest the nearest key, or, when none is near, list the keys of the
                section they name (`cluster.redis.url`: the redis section's). Secrets (%s) are shown as
                `(hidden)`, in errors and in logs.
                """.formatted(ConfigKeys.all().stream().filter(ConfigKey::secret).map(key -> "`" + key.key() + "`")
                .collect(Collectors.joining(", "))));
        for (ConfigKeys.Section section : ConfigKeys.sections()) {
            md.append("\n## `").append(section.name()).append("`\n\n").append(docs.section(section.name())).append('\n');
            if (!section.usedByServer()) {
                md.append("\n**").append(NOT_USED_YET).append("**\n");
            }
            if (section.map()) {
                md.append("\nNo entries by default. Each entry is named (`").append(section.name())
                        .append(".dash.").append(section.keys().get(0).name()).append("`; in YAML a mapping under `")
                        .append(section.name()).append(":`; in the environment `").append(ConfigKey.ENV_PREFIX)
                        .append(section.name().toUpperCase(Locale.ROOT)).append("_DASH_")
                        .append(ConfigKey.upperSnake(section.keys().get(0).name()))
                        .append("`); an option left out takes the default shown, one set to it is an error.\n");
            }
            md.append("\n| Key | Type | Default | Environment variable | Description |\n|---|---|---|---|---|\n");
            for (ConfigKey key : section.keys()) {
                md.append("| `").append(key.key()).append("` | ").append(key.type().docName)
                        .append(" | ").append(section.map() && key.defaultValue().contains(".")
                                ? "as `" + key.defaultValue() + "`" : markdownDefault(key))
                        .append(" | `").append(key.envVar()).append("` | ").append(docs.key(key.key()))
                        .append(key.secret() ? " (secret: never shown)" : "").append(" |\n");
            }
        }
        return md.toString();
    }

    /** An example file setting every key to its default, each with its description. */
    private static String exampleYaml(ConfigJavadoc docs) {
        StringBuilder yaml = new StringBuilder("""
                # Switchboard configuration: every key at its default. See docs/configuration.md.
                # Copy this file, keep the keys you change and delete the rest, then start with
                #   switchboard serve --config your-copy.yaml
                # Precedence: defaults < this file < SWITCHBOARD_* environment variables < command-line flags.
                # Durations: 500ms, 25s, 5m, 1h, 2d. Sizes: 65536, 64KiB, 1MiB (1 KiB = 1024 bytes).
                # (For the project: this copy is generated by io.switchboard.server.config.ConfigDocs from the
                # config records; change those, then regenerate with
                #   %s)
                """.formatted(REGENERATE));
        for (ConfigKeys.Section section : ConfigKeys.sections()) {
            yaml.append("\n# ").append(docs.section(section.name())).append('\n');
            if (!section.usedByServer()) {
                yaml.append("# ").append(NOT_USED_YET).append('\n');
            }
            if (section.map()) {
                yaml.append(mapExample(section, docs));
                continue;
            }
            yaml.append(section.name()).append(":\n");
            for (ConfigKey key : section.keys()) {
                yaml.append("  # ").append(docs.key(key.key())).append('\n');
                if (key.secret()) {
                    yaml.append("  # Secret: prefer the environment variable ").append(key.envVar()).append('\n');
                }
                yaml.append("  ").append(key.name()).append(": ").append(yamlDefault(key)).append('\n');
            }
        }
        return yaml.toString();
    }

    /** A map section has no entries by default: an example entry, commented out, with every option. */
    private static String mapExample(ConfigKeys.Section section, ConfigJavadoc docs) {
        StringBuilder yaml = new StringBuilder("# No entries by default; an entry sets only the options it changes.\n")
                .append("# ").append(section.name()).append(":\n#   example:\n");
        for (ConfigKey key : section.keys()) {
            yaml.append("#     # ").append(docs.key(key.key())).append('\n')
                    .append("#     ").append(key.name()).append(": ").append(key.defaultValue().contains(".")
                            ? "(as " + key.defaultValue() + ")" : yamlDefault(key)).append('\n');
        }
        return yaml.toString();
    }

    private static String markdownDefault(ConfigKey key) {
        return switch (key.type()) {
            case STRING -> key.defaultValue().isEmpty() ? "`\"\"`" : "`" + key.defaultValue() + "`";
            case LIST -> key.defaultValue().isEmpty() ? "`[]`" : "`" + key.defaultValue() + "`";
            default -> "`" + key.defaultValue() + "`";
        };
    }

    private static String yamlDefault(ConfigKey key) {
        return switch (key.type()) {
            case STRING -> quoted(key.defaultValue());
            case LIST -> ((List<?>) ValueType.LIST.parseText(key.defaultValue())).stream()
                    .map(item -> quoted((String) item)).collect(Collectors.joining(", ", "[", "]"));
            default -> key.defaultValue();
        };
    }

    /** A YAML double-quoted string: always a string, whatever it looks like. */
    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
