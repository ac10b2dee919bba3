package io.switchboard.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.switchboard.protocol.internal.Failures;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lua script, run with EVALSHA so that only its digest crosses the wire. It is loaded when a
 * connection is made and loaded again when Redis answers NOSCRIPT (a restarted Redis, SCRIPT FLUSH,
 * a failover to a replica that never saw it); concurrent callers share one reload. Thread-safe.
 */
final class RedisScript {
    private static final Logger log = LoggerFactory.getLogger(RedisScript.class);

    private final String name;
    private final String source;
    private final String sha;
    /** The reload in flight, shared by every command that met NOSCRIPT meanwhile. */
    private final AtomicReference<CompletableFuture<Void>> loading = new AtomicReference<>();

    RedisScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
    }

    /** Runs the script; on NOSCRIPT, loads it and runs it once more. */
    <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, String> redis, ScriptOutputType type, String[] keys,
                                 String... args) {
        return redis.<T>evalsha(sha, type, keys, args).toCompletableFuture().exceptionallyCompose(e -> {
            if (!(Failures.rootCause(e) instanceof RedisNoScriptException)) {
                return CompletableFuture.failedFuture(e);
            }
            return reload(redis).thenCompose(v -> redis.<T>evalsha(sha, type, keys, args).toCompletableFuture());
        });
    }

    /** Loads the script into Redis's script cache. */
    CompletableFuture<Void> load(RedisClusterAsyncCommands<String, String> redis) {
        return load(redis, false);
    }

    /** Loads the script after NOSCRIPT; says so once per reload, not once per command that met it. */
    private CompletableFuture<Void> reload(RedisClusterAsyncCommands<String, String> redis) {
        return load(redis, true);
    }

    private CompletableFuture<Void> load(RedisClusterAsyncCommands<String, String> redis, boolean lost) {
        CompletableFuture<Void> current = loading.get();
        if (current != null && !current.isDone()) {
            return current;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        if (!loading.compareAndSet(current, mine)) {
            return loading.get();
        }
        if (lost) {
            log.info("Redis lost script {}; loading it again", name);
        }
        redis.scriptLoad(source).whenComplete((loaded, e) -> {
            if (e != null) {
                mine.completeExceptionally(e);
            } else if (!sha.equals(loaded)) {
                mine.completeExceptionally(new IllegalStateException(
                        "Redis digests script " + name + " as " + loaded + ", expected " + sha));
            } else {
                mine.complete(null);
            }
        });
        return mine;
    }

    private static String sha1(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }
}
