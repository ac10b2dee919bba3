package io.switchboard.cli;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.switchboard.server.observability.LogRedaction;

/** {@code %redactedMsg}: the formatted message with tokens in URLs redacted (see {@link LogRedaction}). */
public final class RedactedMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return LogRedaction.text(event.getFormattedMessage());
    }
}
