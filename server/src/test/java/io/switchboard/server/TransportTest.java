package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

/** Both transports carry the protocol: native epoll where it loads, NIO everywhere else. */
class TransportTest {

    private static void roundTrip(SwitchboardServer server) {
        try (WsClient a = WsClient.welcomed(server.port(), "a"); WsClient b = WsClient.welcomed(server.port(), "b")) {
            a.send("{\"type\":\"join_room\",\"room\":\"t\"}");
            a.next("room_joined");
            b.send("{\"type\":\"join_room\",\"room\":\"t\"}");
            b.next("room_joined");
            b.send("{\"type\":\"room_message\",\"room\":\"t\",\"content\":\"over\"}");
            assertThat(a.nextOfType("room_message").path("content").asText()).isEqualTo("over");
        }
    }

    @Test
    void epollIsChosenWhenTheNativeLibraryLoads() {
        try (SwitchboardServer server = SwitchboardServer.start(TestServers.config())) {
            assertThat(server.transport()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
            roundTrip(server);
        }
    }

    @Test
    void nioCarriesTheProtocolWhenForced() {
        System.setProperty("switchboard.transport", "nio");
        try (SwitchboardServer server = SwitchboardServer.start(TestServers.config())) {
            assertThat(server.transport()).isEqualTo("nio");
            roundTrip(server);
        } finally {
            System.clearProperty("switchboard.transport");
        }
    }
}
