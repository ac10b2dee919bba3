package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The Dockerfile builds: no container engine runs here, so {@link DockerBuildReplay} replays its build
 * stage (the files it COPYs, less .dockerignore, and its RUN commands) in a scratch directory. The two
 * replays run in the {@code docker-replay} execution of {@code ./mvnw verify} (they build the reactor
 * once more, reusing ~/.m2); {@code -DskipDockerReplay} leaves them out. The .dockerignore rules are
 * checked in every test run.
 */
class DockerfileReplayTest {
    private static final String PROPERTY = "switchboard.dockerReplay";
    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    private static Path root() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();
    }

    private static Path scratch(String name) throws IOException {
        Path dir = root().resolve("server/target/docker-replay").resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        return dir;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Test
    @EnabledIfSystemProperty(named = PROPERTY, matches = "true")
    @Timeout(value = 16, unit = TimeUnit.MINUTES)
    void theDockerfilesBuildStageBuildsTheJarTheRuntimeStageTakes() throws Exception {
        DockerBuildReplay replay = new DockerBuildReplay(root(), Files.readString(root().resolve("Dockerfile")),
                Files.readString(root().resolve(".dockerignore")));
        Path image = scratch("image");
        DockerBuildReplay.Result result = replay.replay(image, TIMEOUT);
        System.out.printf("docker replay: build stage took %d s (log %s)%n", result.took().toSeconds(), result.log());
        assertThat(result.exitCode()).as("the build stage's RUN failed; end of %s:%n%s", result.log(), tail(result.log()))
                .isZero();
        List<String> artifacts = replay.artifactsTakenFromBuildStage();
        assertThat(artifacts).as("the runtime stage copies from the build stage").isNotEmpty();
        for (String artifact : artifacts) {
            assertThat(DockerBuildReplay.inImage(image, image, artifact)).as("the build stage made %s", artifact)
                    .isRegularFile();
        }
        assertThat(image.resolve(".git")).as(".dockerignore keeps the repository out").doesNotExist();
    }

    /** What the replay exists for: a build stage that copies modules one by one misses those added later. */
    @Test
    @EnabledIfSystemProperty(named = PROPERTY, matches = "true")
    @Timeout(value = 16, unit = TimeUnit.MINUTES)
    void aBuildStageThatCopiesOnlySomeModulesFailsNamingTheMissingOne() throws Exception {
        String dockerfile = """
                FROM eclipse-temurin:21-jdk AS build
                WORKDIR /src
                COPY pom.xml mvnw ./
                COPY .mvn .mvn
                COPY protocol protocol
                COPY core core
                COPY server server
                COPY cli cli
                RUN ./mvnw -q -B -DskipTests -DskipAutobahn -pl cli -am package

                FROM eclipse-temurin:21-jre
                COPY --from=build /src/cli/target/switchboard.jar /opt/switchboard/switchboard.jar
                """;
        DockerBuildReplay replay = new DockerBuildReplay(root(), dockerfile, Files.readString(root().resolve(".dockerignore")));
        DockerBuildReplay.Result result = replay.replay(scratch("per-module"), TIMEOUT);
        assertThat(result.exitCode()).isNotZero();
        assertThat(Files.readString(result.log())).containsPattern("Child module .*testkit.* does not exist");
    }

    @Test
    void dockerignoreRulesFollowDockersMatching() {
        List<DockerBuildReplay.IgnoreRule> rules = DockerBuildReplay.IgnoreRule.parse("""
                # comment
                **/target/
                **/node_modules/
                e2e/artifacts/
                .git/
                *.log
                !keep.log
                """);
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "target")).isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "server/target/classes/A.class")).isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "clients/js/node_modules/typescript")).isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "e2e/artifacts/x.png")).isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, ".git")).as("a worktree's .git file").isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "build.log")).isTrue();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "server/build.log")).as("* stays in one directory")
                .isFalse();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "keep.log")).isFalse();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "server/src/main/java/Targets.java")).isFalse();
        assertThat(DockerBuildReplay.IgnoreRule.excludes(rules, "e2e/lib/server.mjs")).isFalse();
    }

    @Test
    void theDockerfileIsReadStageByStageWithContinuationsJoined() {
        List<List<DockerBuildReplay.Instruction>> stages = DockerBuildReplay.stages("""
                # syntax=docker/dockerfile:1
                FROM a AS build
                WORKDIR /src
                RUN one \\
                    two
                FROM b
                COPY --from=build /src/x /y
                """);
        assertThat(stages).hasSize(2);
        assertThat(stages.get(0)).containsExactly(new DockerBuildReplay.Instruction("WORKDIR", "/src"),
                new DockerBuildReplay.Instruction("RUN", "one      two"));
        assertThat(stages.get(1)).containsExactly(new DockerBuildReplay.Instruction("COPY", "--from=build /src/x /y"));
    }
}
