package io.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's notes on the machine: its CPU, kernel and Java, and its DAMON monitoring (from a sysfs-shaped directory). */
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

    @Test
    void theMachineIsNamedFromCpuinfoAndTheKernelRelease() throws Exception {
        Path cpuinfo = kdamonds.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                vendor_id\t: GenuineIntel
                cpu family\t: 6
                model\t\t: 143
                model name\t: Intel(R) Xeon(R) Processor
                cpu MHz\t\t: 2600.000
                flags\t\t: fpu vme

                processor\t: 1
                model name\t: Intel(R) Xeon(R) Processor
                """);
        Path osrelease = kdamonds.resolve("osrelease");
        Files.writeString(osrelease, "6.18.44\n");
        assertThat(Report.machineNote(cpuinfo, osrelease, "17.0.15+6"))
                .isEqualTo("\nMachine: Intel(R) Xeon(R) Processor (family 6, model 143, 2600 MHz), 2 CPUs, kernel 6.18.44, "
                        + "Java 17.0.15+6.\n");
        assertThat(Report.machineNote(kdamonds.resolve("absent"), kdamonds.resolve("absent"), "25"))
                .isEqualTo("\nMachine: Java 25.\n");
    }
}
