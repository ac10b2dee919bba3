package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Cluster;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.ExternalProcesses;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NATS only: the broker on core NATS, history in a JetStream stream and presence in a KV bucket, both on
 * file storage, and no Redis anywhere (the nodes' Redis port has nothing listening). A nats-server killed
 * with SIGKILL under load and restarted on its storage, and a node lost under load: every subscriber ends
 * with every offset exactly once, in order, or (node loss) is answered {@code recovered:false} on rejoining
 * and from the position it is given holds every later offset once, in order.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NatsOnlyClusterTest {
    private static final Logger log = LoggerFactory.getLogger(NatsOnlyClusterTest.class);

    @RegisterExtension
    final Closer closer = new Closer();
    private NatsServerProcess nats;
    private ClusterNodes nodes;
    /** Where no Redis listens: a node that reached for Redis would fail its calls. */
    private final int noRedis = ExternalProcesses.freePort();

    @BeforeEach
    void startNats() throws Exception {
        NatsServerProcess.requireBinary();
        Path storage = Files.createTempDirectory("nats-only-cluster");
        nats = closer.add(NatsServerProcess.startedWith("-js", "-sd", storage.toString()));
        nodes = closer.add(new ClusterNodes());
    }

    private int startNode(String id) {
        // The deadline NodeLossTest uses: a 2-core machine answering a hundred rejoins at once is slow.
        Cluster cluster = ClusterNodes.cluster("nats", 10_000, Duration.ofSeconds(2)).toBuilder()
                .history("jetstream").presence("nats").build();
        return nodes.start(ClusterNodes.config(id, cluster, noRedis, List.of(nats.url()))).port();
    }

    private WsClient member(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }

    @Test
    void killingNatsUnderLoadAndRestartingItOnItsStorageLosesNothing() throws Exception {
        int[] ports = {startNode("n1"), startNode("n2")};
        String room = "nats-only";
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 100; i++) {
            subscribers.add(member(ports[i % 2], "s" + i, room));
        }
        List<Member> seen = nodes.get(1).hub().members(room).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(seen).as("each node sees the members of both, through the KV bucket").hasSize(100);
        subscribers.startDraining();
        WsClient publisher = member(ports[0], "publisher", room);

        LoadWithOutage.run(publisher, room, 300, 6, nats::kill9, nats::restart);
        long afterRestart = publishUntilAcked(publisher, room);

        long total = nodes.awaitQuietPosition(0, room);
        assertThat(total).as("publishes before the kill went through").isGreaterThan(300);
        assertThat(total).as("and the one after the restart").isGreaterThanOrEqualTo(afterRestart);
        subscribers.assertEveryoneHolds(total, 60_000);
    }

    /**
     * Publishes with an id until the answer is an ack, as a client would once the cluster recovered; an
     * {@code unavailable} answer (a breaker still open after the outage) is retried. Returns the ack's offset.
     */
    private static long publishUntilAcked(WsClient c, String room) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int attempt = 0; ; attempt++) {
            String id = "after-restart-" + attempt;
            c.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"late\",\"id\":\"" + id
                    + "\"}");
            while (true) {
                JsonNode m = c.messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertThat(m).as("an answer to the publish after the restart").isNotNull();
                if (!m.path("id").asText().equals(id)) {
                    continue;
                }
                if (m.path("type").asText().equals("ack")) {
                    return m.path("offset").asLong();
                }
                assertThat(m.path("code").asText()).isEqualTo("unavailable");
                Thread.sleep(200);
                break;
            }
        }
    }

    @Test
    void subscribersOfALostNodeRejoinWithSinceOnAnotherAndRecoverEverythingOrAreToldTheyDidNot() throws Exception {
        int doomed = startNode("doomed");
        int survivor = startNode("survivor");
        String room = "nats-only-loss";
        int n = 100;
        List<WsClient> subscribers = new ArrayList<>();
        List<Offsets> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            subscribers.add(member(doomed, "s" + i, room));
            received.add(new Offsets());
        }
        WsClient probe = WsClient.welcomed(doomed, "probe");
        closer.add(probe);
        probe.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        String epoch = probe.nextOfType("room_joined").path("epoch").asText();
        WsClient publisher = member(survivor, "publisher", room);

        Thread publishing = new Thread(() -> {
            for (int i = 0; i < 300 && !Thread.currentThread().isInterrupted(); i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + i + "\"}");
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "publisher");
        publishing.start();
        Thread.sleep(1000);
        nodes.get(0).close();

        Map<String, Long> resyncedAt = new ConcurrentHashMap<>();
        List<Callable<WsClient>> moves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WsClient old = subscribers.get(i);
            Offsets o = received.get(i);
            String user = "s" + i;
            moves.add(() -> {
                assertThat(old.closeCode.get(10, TimeUnit.SECONDS)).as("the dying node says going away")
                        .isEqualTo(1001);
                o.drain(old);
                WsClient again = WsClient.welcomed(survivor, user);
                JsonNode joined = Rejoins.rejoin(again, o, room, epoch);
                if (!joined.path("recovered").asBoolean()) {
                    // Told so, the client resyncs from its own source and goes on from the position it was given.
                    assertThat(joined.path("epoch").asText()).isEqualTo(epoch);
                    resyncedAt.put(user, joined.path("offset").asLong());
                    o.offsets.clear();
                }
                return again;
            });
        }
        List<WsClient> moved = Rejoins.inParallel(moves);
        moved.forEach(closer::add);
        publishing.join(30_000);
        long total = nodes.awaitQuietPosition(1, room);
        assertThat(total).isEqualTo(300);
        for (int i = 0; i < n; i++) {
            long from = resyncedAt.getOrDefault("s" + i, 0L) + 1;
            received.get(i).awaitOffset(moved.get(i), total, 30_000).assertContiguous(from, total);
        }
        log.info("{} of {} subscribers were answered recovered:false and resynced", resyncedAt.size(), n);
    }
}
