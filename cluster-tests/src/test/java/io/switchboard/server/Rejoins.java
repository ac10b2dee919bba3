package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** How the node-loss tests move clients: rejoining with {@code since}, many at once. */
final class Rejoins {
    private Rejoins() {
    }

    /**
     * Joins with {@code since} as a client library would: an {@code unavailable} answer (the survivor's
     * breaker may open for a moment while hundreds of clients arrive at once on a 2-core machine) is retried.
     * Messages arriving meanwhile go into {@code o}.
     *
     * @return the {@code room_joined} answer
     */
    static JsonNode rejoin(WsClient c, Offsets o, String room, String epoch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"rj\",\"since\":{\"offset\":"
                    + o.lastOffset() + ",\"epoch\":\"" + epoch + "\"}}");
            while (true) {
                JsonNode m = c.messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertThat(m).as("an answer to the rejoin").isNotNull();
                if (!m.path("id").asText().equals("rj")) {
                    o.take(m);
                } else if (m.path("type").asText().equals("room_joined")) {
                    return m;
                } else {
                    assertThat(m.path("code").asText()).isEqualTo("unavailable");
                    Thread.sleep(200);
                    break;
                }
            }
        }
    }

    /** Runs the tasks on 16 threads, as independent clients would, and returns their results in order. */
    static <T> List<T> inParallel(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<T> out = new ArrayList<>();
            for (Future<T> f : pool.invokeAll(tasks)) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
