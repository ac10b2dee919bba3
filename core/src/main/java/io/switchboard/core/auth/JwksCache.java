package io.switchboard.core.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of a JWKS URL, kept in memory. Lookups ({@link #get}) never block: they read the last set
 * fetched. Fetches run on one daemon thread of their own, never on an event loop: every
 * {@code refreshInterval}, plus at most one extra fetch per interval when a token names a key the set
 * does not hold (key rotation). A failed fetch keeps the previous keys, so an outage of the key
 * server does not lock everyone out. Thread-safe.
 */
final class JwksCache implements JWKSource<SecurityContext>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JwksCache.class);
    /** A JWKS larger than this is refused: a key set is a few KiB. */
    static final int MAX_JWKS_BYTES = 1024 * 1024;
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

    private final URI uri;
    private final long intervalNanos;
    private final HttpClient http;
    private final ScheduledExecutorService fetcher;
    /** The last key set fetched successfully; empty before the first. */
    private volatile JWKSet keys = new JWKSet();
    /** When the last unknown-kid fetch was started (nanoTime); guards "at most one per interval". */
    private final AtomicLong lastExtraFetchNanos;
    /** Set while a fetch is queued or running, so a burst of unknown kids queues one fetch. */
    private final AtomicBoolean fetching = new AtomicBoolean();
    private final AtomicLong fetches = new AtomicLong();

    JwksCache(URI uri, Duration refreshInterval) {
        this.uri = uri;
        this.intervalNanos = refreshInterval.toNanos();
        this.lastExtraFetchNanos = new AtomicLong(System.nanoTime() - intervalNanos);
        this.http = HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.fetcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "switchboard-jwks");
            t.setDaemon(true);
            return t;
        });
    }

    /** Fetches once now, waiting at most the fetch timeout, then every refresh interval. Not on an event loop. */
    void start() {
        fetching.set(true);
        try {
            fetcher.submit(this::fetch).get(FETCH_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("first JWKS fetch from {} did not finish: {}", uri, e.toString());
        }
        fetcher.scheduleWithFixedDelay(() -> {
            if (fetching.compareAndSet(false, true)) {
                fetch();
            }
        }, intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
        List<JWK> found = selector.select(keys);
        if (found.isEmpty()) {
            requestExtraFetch();
        }
        return found;
    }

    /** An unknown key was asked for: fetch again unless that already happened within the interval. */
    private void requestExtraFetch() {
        long now = System.nanoTime();
        long last = lastExtraFetchNanos.get();
        if (now - last >= intervalNanos && lastExtraFetchNanos.compareAndSet(last, now)
                && fetching.compareAndSet(false, true)) {
            fetcher.execute(this::fetch);
        }
    }

    /** Runs on the fetcher thread with {@link #fetching} set; clears it. */
    private void fetch() {
        fetches.incrementAndGet();
        try {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(FETCH_TIMEOUT)
                    .header("Accept", "application/json").GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_JWKS_BYTES + 1);
            }
            if (response.statusCode() != 200) {
                throw new IOException("status " + response.statusCode());
            }
            if (body.length > MAX_JWKS_BYTES) {
                throw new IOException("larger than " + MAX_JWKS_BYTES + " bytes");
            }
            JWKSet set = JWKSet.parse(new String(body, StandardCharsets.UTF_8)).toPublicJWKSet();
            keys = set;
            log.info("fetched {} keys from JWKS {}", set.getKeys().size(), uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("JWKS fetch from {} failed, keeping the {} keys fetched before: {}", uri,
                    keys.getKeys().size(), e.toString());
        } finally {
            fetching.set(false);
        }
    }

    /** How many fetches ran, for tests and metrics. */
    long fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        fetcher.shutdownNow();
    }
}
