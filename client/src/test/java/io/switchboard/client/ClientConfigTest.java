package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientConfigTest {

    @Test
    void defaultsFollowTheSeedGuide() {
        ClientConfig c = ClientConfig.builder("ws://127.0.0.1:8080/ws").build();
        assertThat(c.initialBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.ackTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.receiveTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.reconnect()).isTrue();
        assertThat(c.tokenSupplier()).isNull();
    }

    @Test
    void rejectsSchemesOtherThanWebSocket() {
        assertThatThrownBy(() -> ClientConfig.builder("http://127.0.0.1/ws").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("uri must be ws:// or wss://, got http://127.0.0.1/ws");
    }

    @Test
    void pingIntervalMustBeShorterThanReceiveTimeout() {
        assertThatThrownBy(() -> ClientConfig.builder("ws://h/ws").pingInterval(Duration.ofSeconds(30)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pingInterval (PT30S) must be shorter than receiveTimeout (PT30S)");
    }

    @Test
    void toBuilderKeepsEveryField() {
        ClientConfig c = ClientConfig.builder("ws://h/ws").token("t").header("X-A", "1").maxQueuedCommands(7).build();
        ClientConfig copy = c.toBuilder().build();
        assertThat(copy.headers()).isEqualTo(c.headers());
        assertThat(copy.maxQueuedCommands()).isEqualTo(7);
        assertThat(copy.tokenSupplier().get()).isEqualTo("t");
    }
}
