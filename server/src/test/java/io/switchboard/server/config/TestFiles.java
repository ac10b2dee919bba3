package io.switchboard.server.config;

import java.nio.file.Path;

/** Files of the repository the tests read. */
final class TestFiles {
    private TestFiles() {
    }

    /** The repository root: surefire runs in the module directory. */
    static Path repositoryRoot() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();
    }
}
