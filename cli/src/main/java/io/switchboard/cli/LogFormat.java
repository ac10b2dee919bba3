package io.switchboard.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format}: {@code text} keeps {@code logback.xml} (human-readable lines); {@code json}
 * replaces it with {@code logback-json.xml} (one JSON object per line, see {@link JsonLinesEncoder}).
 */
enum LogFormat {
    text("/logback.xml"),
    json("/logback-json.xml");

    private final String resource;

    LogFormat(String resource) {
        this.resource = resource;
    }

    /** The Logback configuration of this format. */
    URL configuration() {
        return LogFormat.class.getResource(resource);
    }

    /** Reconfigures Logback with this format; applies from the next event on. */
    void apply() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            context.reset();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            try {
                configurator.doConfigure(configuration());
            } catch (JoranException e) {
                throw new IllegalStateException("cannot load " + resource, e);
            }
        }
    }
}
