package io.switchboard.core.broker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryBrokerTest extends BrokerContract {
    private final MemoryBroker.Bus bus = new MemoryBroker.Bus();

    @Override
    protected Broker newBroker() {
        return bus.broker();
    }

    @Test
    void aNodeNeverHearsItself() throws Exception {
        String channel = prefix + "room.self";
        await(a.subscribe(channel));
        await(b.subscribe(channel));
        await(a.publish(channel, bytes("x")));
        assertThat(inboxB.next().text()).isEqualTo("x");
        assertThat(inboxA.poll(java.time.Duration.ofMillis(50))).isNull();
    }
}
