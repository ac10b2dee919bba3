package io.switchboard.cli.bench;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Parameters of one bench run, as given on the command line. Immutable.
 *
 * @param scenario echo, fanout, idle or churn
 * @param url the server's WebSocket endpoint
 * @param connections echo: connections sending; fanout: subscribers; idle: connections held;
 *                    churn: cycles in flight at most
 * @param rooms fanout: rooms the subscribers spread over; idle: rooms joined (0: none)
 * @param publishers fanout: publishing connections
 * @param rate messages per second over all senders (churn: cycles per second), fixed-rate
 * @param sizeBytes approximate size of each sent frame
 * @param duration how long to send and measure; the run also waits briefly for in-flight deliveries
 * @param warmup how long to send before measuring (JIT, pools, TCP windows); excluded from every count
 * @param localAddresses source addresses used round-robin; empty: chosen by the OS
 * @param progress print the live progress line on stderr
 * @param publishUrl where fanout publishers connect (another node of a cluster); null: {@code url}
 * @param receiver fanout subscribers and idle connections: {@code lean} (raw frames, see {@link LeanConnections}) or
 *                 {@code client} (the full Java client)
 * @param room fanout with one room: its exact name (to put it in a namespace, or to let other clients join it);
 *             null: a fresh {@code bench-<run>-0}
 * @param inFlight connections being opened (connected, upgraded, joined) at once, at most: a burst of thousands of
 *                 SYNs only measures the server's accept backlog
 */
public record BenchOptions(String scenario, URI url, int connections, int rooms, int publishers, int rate,
                           int sizeBytes, Duration duration, Duration warmup, List<InetAddress> localAddresses,
                           boolean progress, URI publishUrl, String receiver, String room, int inFlight) {
    public BenchOptions {
        localAddresses = List.copyOf(localAddresses);
        publishUrl = publishUrl == null ? url : publishUrl;
    }
}
