package io.switchboard.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Replays the build stage of a Dockerfile without a container engine: copies what its {@code COPY}
 * instructions copy from the build context (less what {@code .dockerignore} excludes) into a scratch
 * directory standing for the image's file system, and runs its {@code RUN} commands there with the
 * host's shell, JDK and Maven repository. What it cannot tell: whether the base image has what the
 * commands need (the JDK is the host's). What it can: that the copied files are enough to build.
 *
 * <p>Supported, as the project's Dockerfile uses them: {@code FROM … AS name}, {@code WORKDIR},
 * {@code COPY [--chown=…] src… dest} with literal paths or one-segment globs, {@code RUN} in shell or
 * exec form, line continuations; anything else in the build stage fails the replay, so that a new
 * instruction is not silently skipped. Confined to the calling thread.
 */
final class DockerBuildReplay {
    /** One instruction of the build stage: its keyword and its arguments (continuations joined). */
    record Instruction(String keyword, String args) {
    }

    /** Where a command ran and how it ended. */
    record Result(int exitCode, Path log, Duration took) {
    }

    /** The arguments of FROM: an image, optionally {@code AS name}. */
    private static final Pattern FROM = Pattern.compile("(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+(?i:AS)\\s+(\\S+))?");

    private final Path context;
    private final List<Instruction> buildStage;
    private final List<Instruction> laterStages;
    private final List<IgnoreRule> ignore;

    DockerBuildReplay(Path context, String dockerfile, String dockerignore) {
        this.context = context;
        List<List<Instruction>> stages = stages(dockerfile);
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("no FROM in the Dockerfile");
        }
        this.buildStage = stages.get(0);
        this.laterStages = stages.stream().skip(1).flatMap(List::stream).toList();
        this.ignore = IgnoreRule.parse(dockerignore);
    }

    /** The sources of {@code COPY --from=<first stage>} in the later stages, as paths in that stage. */
    List<String> artifactsTakenFromBuildStage() {
        List<String> out = new ArrayList<>();
        for (Instruction i : laterStages) {
            if (i.keyword().equals("COPY") && i.args().startsWith("--from=")) {
                List<String> words = words(i.args());
                out.addAll(words.subList(1, words.size() - 1));
            }
        }
        return out;
    }

    /**
     * Copies into {@code root} (the stage's "/") and runs the commands; stops at the first failing one.
     * The returned log holds every command's output.
     */
    Result replay(Path root, Duration timeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path log = root.resolveSibling(root.getFileName() + ".log");
        Files.deleteIfExists(log);
        Files.createFile(log);
        Path workdir = root;
        for (Instruction i : buildStage) {
            switch (i.keyword()) {
                case "WORKDIR" -> workdir = inImage(root, workdir, i.args().trim());
                case "COPY" -> copy(root, workdir, i.args());
                case "RUN" -> {
                    int exit = run(workdir, i.args(), log, timeout);
                    if (exit != 0) {
                        return new Result(exit, log, Duration.ofNanos(System.nanoTime() - start));
                    }
                }
                case "ENV", "ARG", "LABEL", "USER", "SHELL" -> throw new IllegalStateException(
                        i.keyword() + " in the build stage is not replayed yet: teach DockerBuildReplay about it");
                default -> throw new IllegalStateException("unsupported instruction in the build stage: " + i);
            }
        }
        return new Result(0, log, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Maps a path of the image to the scratch root: absolute from the root, else from the workdir. */
    static Path inImage(Path root, Path workdir, String path) {
        Path p = path.startsWith("/") ? root.resolve(path.substring(1)) : workdir.resolve(path);
        Path normal = p.normalize();
        if (!normal.startsWith(root)) {
            throw new IllegalArgumentException(path + " leaves the image root");
        }
        return normal;
    }

    private void copy(Path root, Path workdir, String args) throws IOException {
        List<String> words = words(args).stream().filter(w -> !w.startsWith("--chown=") && !w.startsWith("--chmod="))
                .toList();
        if (words.stream().anyMatch(w -> w.startsWith("--"))) {
            throw new IllegalStateException("unsupported COPY flag in the build stage: " + args);
        }
        if (words.size() < 2) {
            throw new IllegalArgumentException("COPY needs a source and a destination: " + args);
        }
        String destText = words.get(words.size() - 1);
        Path dest = inImage(root, workdir, destText);
        List<Path> sources = new ArrayList<>();
        for (String src : words.subList(0, words.size() - 1)) {
            sources.addAll(expand(src));
        }
        // Docker: with several sources, or a destination ending in '/', the destination is a directory.
        boolean intoDirectory = sources.size() > 1 || destText.endsWith("/") || destText.equals(".")
                || Files.isDirectory(dest);
        for (Path src : sources) {
            if (Files.isDirectory(src)) {
                copyTree(src, dest); // a directory's contents, not the directory itself
            } else {
                Path target = intoDirectory ? dest.resolve(src.getFileName().toString()) : dest;
                Files.createDirectories(target.getParent());
                Files.copy(src, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /** The context paths a COPY source names; a source that names nothing fails, as in a real build. */
    private List<Path> expand(String src) throws IOException {
        String relative = src.startsWith("/") ? src.substring(1) : src;
        List<Path> out = new ArrayList<>();
        int slash = relative.lastIndexOf('/');
        String last = relative.substring(slash + 1);
        if (last.contains("*") || last.contains("?") || last.contains("[")) {
            Path dir = context.resolve(slash < 0 ? "." : relative.substring(0, slash)).normalize();
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> matches = Files.newDirectoryStream(dir, last)) {
                    for (Path p : matches) {
                        if (!ignored(p)) {
                            out.add(p);
                        }
                    }
                }
            }
        } else {
            Path p = context.resolve(relative).normalize();
            if (Files.exists(p) && !ignored(p)) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IOException("COPY " + src + ": no such file in the build context (or .dockerignore excludes it)");
        }
        return out;
    }

    private void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(from) && ignored(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!ignored(file)) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private boolean ignored(Path p) {
        String relative = context.relativize(p.normalize()).toString().replace('\\', '/');
        return !relative.isEmpty() && IgnoreRule.excludes(ignore, relative);
    }

    private static int run(Path workdir, String args, Path log, Duration timeout) throws IOException, InterruptedException {
        List<String> command;
        String trimmed = args.trim();
        if (trimmed.startsWith("[")) {
            command = List.of(new ObjectMapper().readValue(trimmed, String[].class));
        } else {
            command = List.of("/bin/sh", "-c", trimmed);
        }
        Files.writeString(log, "$ " + trimmed + "\n", java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // An image build sees none of the host's CI or Switchboard settings.
        pb.environment().keySet().removeIf(k -> k.equals("CI") || k.startsWith("SWITCHBOARD_"));
        Process process = pb.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Files.writeString(log, "\n(killed after " + timeout + ")\n", java.nio.file.StandardOpenOption.APPEND);
                return -1;
            }
            return process.exitValue();
        } finally {
            // Timed out, or the test was interrupted: the build (Maven and its forks) must not outlive it.
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    /** Instructions per stage, continuations joined, comments and parser directives left out. */
    static List<List<Instruction>> stages(String dockerfile) {
        List<List<Instruction>> stages = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : dockerfile.split("\n", -1)) {
            String line = raw.stripTrailing();
            if (pending.isEmpty() && (line.isBlank() || line.stripLeading().startsWith("#"))) {
                continue;
            }
            if (!pending.isEmpty() && line.stripLeading().startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String text = pending.toString().strip();
            pending.setLength(0);
            int space = text.indexOf(' ');
            String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(java.util.Locale.ROOT);
            String rest = space < 0 ? "" : text.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                if (!FROM.matcher(rest).matches()) {
                    throw new IllegalArgumentException("cannot read FROM " + rest);
                }
                stages.add(new ArrayList<>());
            } else if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).add(new Instruction(keyword, rest));
            }
        }
        return stages;
    }

    private static List<String> words(String args) {
        String trimmed = args.trim();
        if (trimmed.startsWith("[")) {
            try {
                return List.of(new ObjectMapper().readValue(trimmed, String[].class));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.of(trimmed.split("\\s+"));
    }

    /**
     * One line of {@code .dockerignore}: Go's filepath.Match syntax plus {@code **} for any number of
     * directories, relative to the context; a leading {@code !} re-includes; the last matching line wins;
     * a pattern that matches a directory excludes what is in it.
     */
    record IgnoreRule(Pattern pattern, boolean include) {
        static List<IgnoreRule> parse(String dockerignore) {
            List<IgnoreRule> rules = new ArrayList<>();
            for (String raw : dockerignore.split("\n")) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                boolean include = line.startsWith("!");
                String glob = (include ? line.substring(1) : line).strip();
                while (glob.startsWith("/")) {
                    glob = glob.substring(1);
                }
                while (glob.endsWith("/")) {
                    glob = glob.substring(0, glob.length() - 1);
                }
                rules.add(new IgnoreRule(Pattern.compile(regex(glob)), include));
            }
            return rules;
        }

        static boolean excludes(List<IgnoreRule> rules, String relativePath) {
            boolean excluded = false;
            for (IgnoreRule rule : rules) {
                if (rule.matchesPathOrParent(relativePath)) {
                    excluded = !rule.include();
                }
            }
            return excluded;
        }

        private boolean matchesPathOrParent(String path) {
            String p = path;
            while (true) {
                if (pattern.matcher(p).matches()) {
                    return true;
                }
                int slash = p.lastIndexOf('/');
                if (slash < 0) {
                    return false;
                }
                p = p.substring(0, slash);
            }
        }

        private static String regex(String glob) {
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < glob.length(); i++) {
                char c = glob.charAt(i);
                if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    boolean slashAfter = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
                    re.append(slashAfter ? "(?:.*/)?" : ".*");
                    i += slashAfter ? 2 : 1;
                } else if (c == '*') {
                    re.append("[^/]*");
                } else if (c == '?') {
                    re.append("[^/]");
                } else if (c == '[') {
                    int end = glob.indexOf(']', i);
                    re.append(end < 0 ? "\\[" : glob.substring(i, end + 1).replace("[^", "[^/").replace("[!", "[^/"));
                    i = end < 0 ? i : end;
                } else {
                    re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return re.toString();
        }
    }
}
