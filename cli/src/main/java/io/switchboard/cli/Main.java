package io.switchboard.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the {@code switchboard} command: one jar, one subcommand per use. */
@Command(name = "switchboard",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Real-time WebSocket messaging server.",
        subcommands = {ServeCommand.class, ConnectCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, for tests. */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
