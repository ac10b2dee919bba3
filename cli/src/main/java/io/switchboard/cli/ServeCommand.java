package io.switchboard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code switchboard serve}: runs the server until SIGTERM/SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Switchboard server.")
final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("serve is being built");
    }
}
