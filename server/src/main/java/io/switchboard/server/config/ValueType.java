package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The types a configuration key can have, derived from its record component: how a value is
 * written in a file, an environment variable or a flag, and the rule an error quotes.
 *
 * <p>Every source hands over text (YAML scalars are read as their text), or a list of texts for a
 * YAML sequence. A parse failure throws {@link IllegalArgumentException} whose message is the
 * rule; {@link ConfigKey#parse} turns it into a {@code ConfigException} naming key and value.
 */
public enum ValueType {
    STRING("string", "Any text, taken as written. An empty YAML value, `~` or `null` is the empty string.") {
        @Override
        Object parseText(String text) {
            return text;
        }

        @Override
        String format(Object value) {
            return (String) value;
        }
    },
    INTEGER("integer", "A whole number: `8080`, `0`.") {
        @Override
        Object parseText(String text) {
            if (!text.matches("[+-]?\\d{1,19}")) {
                throw new IllegalArgumentException("must be a whole number");
            }
            return toInt(text, "must be a whole number between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE);
        }

        @Override
        String format(Object value) {
            return value.toString();
        }
    },
    BYTES("size", "A number of bytes, plain or with a binary unit: `65536`, `64KiB`, `1MiB`, `1GiB`"
            + " (1 KiB = 1024 bytes). Decimal units (`KB`, `MB`) are rejected rather than guessed."
            + " Keys ending in `Bytes` have this type.") {
        @Override
        Object parseText(String text) {
            Matcher m = SIZE.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("must be a size like 65536, 64KiB or 1MiB");
            }
            long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
                case "KiB" -> 1L << 10;
                case "MiB" -> 1L << 20;
                case "GiB" -> 1L << 30;
                default -> 1;
            };
            String tooLarge = "must be a size of at most " + Integer.MAX_VALUE + " bytes";
            long bytes;
            try {
                bytes = Math.multiplyExact(toLong(m.group(1), tooLarge), unit);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(tooLarge);
            }
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(tooLarge);
            }
            return (int) bytes;
        }

        @Override
        String format(Object value) {
            int bytes = (Integer) value;
            if (bytes != 0 && bytes % (1 << 30) == 0) {
                return (bytes >> 30) + "GiB";
            }
            if (bytes != 0 && bytes % (1 << 20) == 0) {
                return (bytes >> 20) + "MiB";
            }
            if (bytes != 0 && bytes % (1 << 10) == 0) {
                return (bytes >> 10) + "KiB";
            }
            return Integer.toString(bytes);
        }
    },
    BOOLEAN("boolean", "`true` or `false`.") {
        @Override
        Object parseText(String text) {
            if (text.equalsIgnoreCase("true")) {
                return true;
            }
            if (text.equalsIgnoreCase("false")) {
                return false;
            }
            throw new IllegalArgumentException("must be true or false");
        }

        @Override
        String format(Object value) {
            return value.toString();
        }
    },
    DURATION("duration", "A whole number with a unit: `500ms`, `25s`, `5m`, `1h`, `2d`; or ISO-8601"
            + " such as `PT1M30S`. Whole milliseconds only.") {
        @Override
        Object parseText(String text) {
            String rule = "must be a duration like 25s, 500ms or 5m";
            Duration d;
            try {
                Matcher m = SIMPLE_DURATION.matcher(text);
                if (m.matches()) {
                    d = Duration.of(Long.parseLong(m.group(1)), switch (m.group(2)) {
                        case "ms" -> ChronoUnit.MILLIS;
                        case "s" -> ChronoUnit.SECONDS;
                        case "m" -> ChronoUnit.MINUTES;
                        case "h" -> ChronoUnit.HOURS;
                        default -> ChronoUnit.DAYS;
                    });
                } else if (text.startsWith("P") || text.startsWith("-P")) {
                    d = Duration.parse(text);
                } else {
                    throw new IllegalArgumentException(rule);
                }
            } catch (ArithmeticException | DateTimeParseException e) {
                throw new IllegalArgumentException(rule);
            }
            if (d.getNano() % 1_000_000 != 0) {
                throw new IllegalArgumentException("must be a whole number of milliseconds");
            }
            return d;
        }

        @Override
        String format(Object value) {
            return Check.format((Duration) value);
        }
    },
    LIST("list", "A YAML list (`[a, b]` or one `- item` per line), or one string of comma-separated"
            + " items (how environment variables and flags write it). Items are trimmed; empty items are dropped.") {
        @Override
        Object parseText(String text) {
            List<String> items = new ArrayList<>();
            for (String item : text.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.strip());
                }
            }
            return List.copyOf(items);
        }

        @Override
        Object parseList(List<String> items) {
            return items.stream().filter(item -> !item.isBlank()).map(String::strip).toList();
        }

        @Override
        @SuppressWarnings("unchecked")
        String format(Object value) {
            return String.join(",", (List<String>) value);
        }
    };

    private static final Pattern SIZE = Pattern.compile("(\\d{1,19}) ?(KiB|MiB|GiB)?");
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d{1,18}) ?(ms|s|m|h|d)");

    /** The name the docs use for the type. */
    final String docName;
    /** How values of the type are written, for the docs. */
    final String syntax;

    ValueType(String docName, String syntax) {
        this.docName = docName;
        this.syntax = syntax;
    }

    /** Parses one value written as text; throws {@link IllegalArgumentException} with the rule. */
    abstract Object parseText(String text);

    /**
     * A duration written as configuration writes one ({@code 500ms}, {@code 25s}, {@code 5m}, ISO-8601...),
     * for the tools that take durations on their command lines.
     *
     * @throws IllegalArgumentException with the rule, when the text is not one
     */
    public static Duration parseDuration(String text) {
        return (Duration) DURATION.parseText(text.strip());
    }

    /** Parses a YAML sequence; only lists accept one. */
    Object parseList(List<String> items) {
        throw new IllegalArgumentException("must be a single value, not a list");
    }

    /** Writes a value the way a config file would, so that parsing it gives the value back. */
    abstract String format(Object value);

    /** The type of a record component, or an error naming it: the key table supports these only. */
    static ValueType of(String name, Type type) {
        if (type == int.class || type == Integer.class) {
            return name.endsWith("Bytes") ? BYTES : INTEGER;
        }
        if (type == boolean.class || type == Boolean.class) {
            return BOOLEAN;
        }
        if (type == String.class) {
            return STRING;
        }
        if (type == Duration.class) {
            return DURATION;
        }
        if (type instanceof ParameterizedType p && p.getRawType() == List.class
                && p.getActualTypeArguments()[0] == String.class) {
            return LIST;
        }
        throw new IllegalStateException("config component " + name + " has type " + type
                + "; supported: int, boolean (or boxed), String, Duration,"
                + " List<String>");
    }

    private static long toLong(String digits, String rule) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(rule);
        }
    }

    private static int toInt(String digits, String rule) {
        long value = toLong(digits, rule);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(rule);
        }
        return (int) value;
    }
}
