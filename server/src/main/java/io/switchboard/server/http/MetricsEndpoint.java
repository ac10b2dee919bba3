package io.switchboard.server.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus endpoint ({@code monitoring.metricsPath}): on the main port when {@code monitoring.port}
 * is 0, else on the monitoring port only. Thread-safe.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Scrapes waiting for the scrape thread before more are refused with 503. */
    public static final int MAX_QUEUED_SCRAPES = 8;

    private final Monitoring monitoring;
    /** Null when {@code monitoring.enabled=false}: then no path is the metrics endpoint. */
    private final PrometheusMeterRegistry registry;
    /**
     * Renders scrapes off the event loops: a scrape reads every meter (and the outbound queue of every
     * channel), about 10 ms at idle, and on an event loop it held up every connection of that loop as long.
     * One thread and a few queued scrapes; beyond, 503. Null without metrics.
     */
    private final ThreadPoolExecutor scraper;

    /** @param registry what a scrape renders; null without metrics */
    public MetricsEndpoint(Monitoring monitoring, PrometheusMeterRegistry registry) {
        this.monitoring = monitoring;
        this.registry = registry;
        this.scraper = registry == null ? null : new ThreadPoolExecutor(1, 1, 0,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED_SCRAPES),
                new DefaultThreadFactory("metrics-scrape", true));
    }

    /** Whether the main port serves {@code path} as the metrics endpoint. */
    boolean onMainPort(String path) {
        return registry != null && monitoring.port() == 0 && path.equals(monitoring.metricsPath());
    }

    /** Whether the monitoring port serves {@code path} as the metrics endpoint. */
    boolean onMonitoringPort(String path) {
        return registry != null && path.equals(monitoring.metricsPath());
    }

    /** Answers a scrape with the Prometheus text format, rendered on the scrape thread. */
    void scrape(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        try {
            scraper.execute(() -> {
                byte[] body = null;
                try {
                    body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                } catch (RuntimeException e) {
                    LoggerFactory.getLogger(MetricsEndpoint.class).warn("metrics scrape failed", e);
                }
                byte[] rendered = body;
                HttpResponses.later(ctx, () -> {
                    if (rendered == null) {
                        HttpResponses.text(ctx, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed");
                    } else {
                        HttpResponses.send(ctx, keepAlive, HttpResponseStatus.OK, PROMETHEUS_CONTENT_TYPE,
                                Unpooled.wrappedBuffer(rendered));
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            HttpResponses.text(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too many metrics scrapes at once; try again");
        }
    }

    @Override
    public void close() {
        if (scraper != null) {
            scraper.shutdownNow();
        }
    }
}
