package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the README, docs/ and the client packages' READMEs leads to a file that exists,
 * and to a heading that exists.
 */
class DocLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*$", Pattern.MULTILINE);
    private static final Pattern FENCE = Pattern.compile("```.*?```", Pattern.DOTALL);

    private static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.exists(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        return p;
    }

    /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
    static String anchor(String heading) {
        String text = heading.replaceAll("`", "").replaceAll("\\[([^]]*)]\\([^)]*\\)", "$1");
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    private static Set<String> anchors(Path markdown) throws IOException {
        Set<String> out = new HashSet<>();
        Matcher m = HEADING.matcher(FENCE.matcher(Files.readString(markdown)).replaceAll(""));
        while (m.find()) {
            String a = anchor(m.group(1));
            for (int n = 0; !out.add(n == 0 ? a : a + "-" + n); n++) {
                // GitHub numbers repeated headings: a, a-1, a-2...
            }
        }
        return out;
    }

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = root();
        List<Path> files = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        try (Stream<Path> clients = Files.list(root.resolve("clients"))) {
            clients.map(dir -> dir.resolve("README.md")).filter(Files::exists).sorted().forEach(files::add);
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path file : files) {
            Matcher m = LINK.matcher(FENCE.matcher(Files.readString(file)).replaceAll(""));
            while (m.find()) {
                String link = m.group(1);
                if (link.matches("^[a-z]+:.*")) {
                    continue; // http:, https:, mailto:
                }
                checked++;
                int hash = link.indexOf('#');
                String target = hash < 0 ? link : link.substring(0, hash);
                Path resolved = target.isEmpty() ? file : file.getParent().resolve(target).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(root.relativize(file) + ": " + link + " (no such file)");
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(resolved).contains(link.substring(hash + 1))) {
                    broken.add(root.relativize(file) + ": " + link + " (no such heading)");
                }
            }
        }
        assertThat(files).hasSizeGreaterThan(5);
        assertThat(checked).as("relative links found").isGreaterThan(10);
        assertThat(broken).isEmpty();
    }
}
