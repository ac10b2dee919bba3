package io.switchboard.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps library logging (Netty's debug lines) off the screen of the client-side commands, whose
 * stdout is the protocol transcript ({@code connect}) or the results ({@code bench}).
 */
final class ClientLogging {
    private ClientLogging() {
    }

    static void warningsOnly() {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.WARN);
        }
    }
}
