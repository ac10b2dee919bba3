package io.switchboard.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the {@code switchboard} command: one jar, one subcommand per use. */
@Command(name = "switchboard",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Real-time WebSocket messaging server.",
        subcommands = {ServeCommand.class, ConnectCommand.class, BenchCommand.class, TokenCommand.class,
            CheckConfigCommand.class, GenConfigCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, for tests. */
    public static int run(String... args) {
        return new CommandLine(new Main()).setExecutionExceptionHandler(Main::reportError).execute(args);
    }

    /**
     * A command that fails on bad input says so in one line, not with a stack trace: the message is meant for
     * the user. Exit code 2 for bad input (as picocli's own usage errors), 1 for anything else.
     */
    private static int reportError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        cmd.getErr().println("switchboard " + cmd.getCommandName() + ": " + message);
        if (e instanceof IllegalArgumentException) {
            cmd.getErr().println("Try 'switchboard " + cmd.getCommandName() + " --help'.");
            return 2;
        }
        return 1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
