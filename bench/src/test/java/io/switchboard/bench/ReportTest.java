package io.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's note on the machine's DAMON memory monitoring, read from a sysfs-shaped directory. */
class ReportTest {
    @TempDir
    Path kdamonds;

    private void monitor(String id, String state) throws Exception {
        Files.createDirectories(kdamonds.resolve(id));
        Files.writeString(kdamonds.resolve(id).resolve("state"), state + "\n");
    }

    @Test
    void aRunningMonitorIsNoted() throws Exception {
        Files.writeString(kdamonds.resolve("nr_kdamonds"), "2\n");
        monitor("0", "off");
        monitor("1", "on");
        assertThat(Report.damonNote(kdamonds)).contains("DAMON memory monitoring (kdamond) was on");
    }

    @Test
    void stoppedMonitorsOrNoneAtAllAreNotNoted() throws Exception {
        Files.writeString(kdamonds.resolve("nr_kdamonds"), "1\n");
        monitor("0", "off");
        assertThat(Report.damonNote(kdamonds)).isEmpty();
        assertThat(Report.damonNote(kdamonds.resolve("absent"))).isEmpty();
    }
}
