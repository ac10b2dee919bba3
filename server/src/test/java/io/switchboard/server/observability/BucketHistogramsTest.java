package io.switchboard.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.server.Scrape;
import org.junit.jupiter.api.Test;

/** The per-message histograms render as Prometheus classic histograms: cumulative {@code le} buckets. */
class BucketHistogramsTest {

    @Test
    void bucketsAreCumulativeUpperBoundsInclusiveAndScaled() {
        BucketHistograms histograms = new BucketHistograms();
        BucketHistograms.Family f = histograms.family("t_duration_seconds", "test", new long[] {1_000, 10_000}, 1e9);
        BucketHistograms.Histogram a = histograms.series(f, "kind", "a");
        histograms.series(f, "kind", "b");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.getPrometheusRegistry().register(histograms);

        a.record(1_000); // on the bound: le="1.0E-6"
        a.record(5_000);
        a.record(10_001); // above every bound: +Inf only

        Scrape s = new Scrape(registry.scrape());
        assertThat(bucket(s, 1e-6)).as(s.text).isEqualTo(1);
        assertThat(bucket(s, 1e-5)).isEqualTo(2);
        assertThat(bucket(s, Double.POSITIVE_INFINITY)).isEqualTo(3);
        assertThat(s.value("t_duration_seconds_count", "kind", "a")).isEqualTo(3);
        assertThat(s.value("t_duration_seconds_sum", "kind", "a")).isCloseTo(16_001e-9,
                org.assertj.core.data.Offset.offset(1e-15));
        assertThat(s.value("t_duration_seconds_count", "kind", "b")).isZero();
        registry.close();
    }

    /** The count of series {@code a}'s bucket whose {@code le} is {@code le}, however it is spelled. */
    private static double bucket(Scrape s, double le) {
        return s.samples.stream()
                .filter(x -> x.name().equals("t_duration_seconds_bucket") && "a".equals(x.labels().get("kind"))
                        && Double.parseDouble(x.labels().get("le").replace("+Inf", "Infinity")) == le)
                .mapToDouble(Scrape.Sample::value).findFirst().orElseThrow();
    }
}
