package io.switchboard.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The browser files under {@code io/switchboard/server/web/} on the class path: {@code GET /} is
 * {@code index.html}, {@code GET /name.ext} any file there with a known type. Read once, then served
 * from memory. Only files that exist are kept, so the cache is bounded by the files shipped; a name that
 * is not there is looked up again on every request (a miss kept per name grew without bound: 1.54M GETs
 * of distinct names held 517 MB of heap). Thread-safe.
 */
public final class StaticFiles {
    private static final String ROOT = "io/switchboard/server/web/";
    /** Flat names only: no directories, so no path can leave the root. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "ts", "text/plain; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "map", "application/json");
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();
    /** The class-path folder the files are read from, ending in {@code /}. */
    private final String root;

    /** The demo page's files. */
    public StaticFiles() {
        this(ROOT);
    }

    /** The files under {@code root} (a class-path folder ending in {@code /}). */
    StaticFiles(String root) {
        this.root = root;
    }

    /** Serves the file for {@code path}; false when there is none. */
    boolean serve(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        String name = path.equals("/") ? "index.html" : path.substring(1);
        byte[] body = bytes(name);
        if (body == null) {
            return false;
        }
        HttpResponses.send(ctx, req, HttpResponseStatus.OK, type(name), Unpooled.wrappedBuffer(body));
        return true;
    }

    /** The bytes of the file {@code name} (flat, of a known type), or null when there is none. */
    byte[] bytes(String name) {
        if (!NAME.matcher(name).matches() || type(name) == null) {
            return null;
        }
        return cache.computeIfAbsent(name, this::load); // a null load leaves no entry
    }

    /** The content type of {@code name}, or null for an unknown extension. */
    static String type(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? null : TYPES.get(name.substring(dot + 1));
    }

    /** Names of the files read so far (tests). */
    public int cachedNames() {
        return cache.size();
    }

    /** The file's bytes, or null when there is none. */
    private byte[] load(String name) {
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(root + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
