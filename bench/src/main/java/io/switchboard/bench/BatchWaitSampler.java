package io.switchboard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scrapes Switchboard's {@code websocket_fanout_batch_wait_seconds} histogram a few times during a run, so
 * the harness can say how much of a fan-out latency the server's own queueing was: the histogram's
 * quantiles over the measured window, between the first and last scrapes inside it. A scrape is served
 * by the server under test; at most every two seconds it costs a fraction of a percent of its CPU.
 */
final class BatchWaitSampler {
    static final long MAX_PERIOD_MILLIS = 2000;
    private static final String SERIES = "websocket_fanout_batch_wait_seconds_bucket";
    private static final Pattern BUCKET = Pattern.compile("^" + SERIES + "\\{le=\"([^\"]+)\"} (\\S+)$",
            Pattern.MULTILINE);

    /** One scrape: cumulative batch counts by upper bound in seconds (+Inf as infinity). */
    record Scrape(long epochMillis, TreeMap<Double, Double> cumulative) {
    }

    /** Quantiles of the batch wait over a window, as bucket upper bounds in milliseconds. */
    record Window(long batches, double p50Millis, double p99Millis, double maxMillis) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;
    private final List<Scrape> scrapes = new ArrayList<>();
    private final Periodic clock;

    /** The first scrape is one period away: the measured window starts after the bench's warmup. */
    BatchWaitSampler(int port, long periodMillis) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
        clock = new Periodic("batch-wait-sampler", periodMillis, this::take);
    }

    private void take() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            TreeMap<Double, Double> buckets = parse(r.body());
            if (r.statusCode() == 200 && !buckets.isEmpty()) {
                synchronized (scrapes) {
                    scrapes.add(new Scrape(System.currentTimeMillis(), buckets));
                }
            }
        } catch (java.io.IOException e) {
            // A missed scrape narrows the window; the next one is two seconds away.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static TreeMap<Double, Double> parse(String metrics) {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = BUCKET.matcher(metrics);
        while (m.find()) {
            double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
            buckets.put(le, Double.parseDouble(m.group(2)));
        }
        return buckets;
    }

    void stop() throws InterruptedException {
        clock.stop(5000);
    }

    /**
     * The batch waits between the first scrape at or after {@code fromMillis} and the last at or before
     * {@code toMillis}; null when fewer than two scrapes fall inside.
     */
    Window between(long fromMillis, long toMillis) {
        Scrape first = null;
        Scrape last = null;
        synchronized (scrapes) {
            for (Scrape s : scrapes) {
                if (s.epochMillis() >= fromMillis && s.epochMillis() <= toMillis) {
                    first = first == null ? s : first;
                    last = s;
                }
            }
        }
        if (first == null || first == last) {
            return null;
        }
        return window(first.cumulative(), last.cumulative());
    }

    static Window window(TreeMap<Double, Double> from, TreeMap<Double, Double> to) {
        TreeMap<Double, Double> delta = new TreeMap<>();
        for (Map.Entry<Double, Double> e : to.entrySet()) {
            delta.put(e.getKey(), e.getValue() - from.getOrDefault(e.getKey(), 0.0));
        }
        double total = delta.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) {
            return new Window(0, 0, 0, 0);
        }
        return new Window((long) total, quantile(delta, total, 0.5), quantile(delta, total, 0.99),
                quantile(delta, total, 1.0));
    }

    /** The upper bound, in milliseconds, of the bucket holding quantile {@code q}. */
    private static double quantile(TreeMap<Double, Double> cumulative, double total, double q) {
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            if (e.getValue() >= q * total) {
                return e.getKey() * 1000;
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
