package io.switchboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU accounting from Linux {@code /proc}: per-CPU busy time and a process's CPU ticks. */
final class ProcStat {
    private ProcStat() {
    }

    /** Per CPU, pairs of (busy ticks, total ticks) from {@code /proc/stat}; empty where it is missing. */
    static long[] cpuTimes() {
        List<Long> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu") && Character.isDigit(line.charAt(3))) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    for (int i = 1; i < f.length; i++) {
                        total += Long.parseLong(f[i]);
                    }
                    long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                    out.add(total - idle);
                    out.add(total);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[0];
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Busy fraction of each CPU between two {@link #cpuTimes()} readings. */
    static double[] busyFractions(long[] before, long[] after) {
        int n = Math.min(before.length, after.length) / 2;
        double[] busy = new double[n];
        for (int i = 0; i < n; i++) {
            long dBusy = after[2 * i] - before[2 * i];
            long dTotal = after[2 * i + 1] - before[2 * i + 1];
            busy[i] = dTotal <= 0 ? 0 : dBusy / (double) dTotal;
        }
        return busy;
    }

    /** User + system ticks of a process (and its finished threads), or 0 where unavailable. */
    static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name may contain spaces: fields start after the closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
