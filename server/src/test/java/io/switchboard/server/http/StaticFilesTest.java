package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.testkit.LeakDetection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The browser client the server serves is the npm package's source (clients/js), byte for byte. */
@ExtendWith(LeakDetection.class)
class StaticFilesTest {
    private static Path packageSource(String name) {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return module.getParent().resolve("clients/js/src").resolve(name);
    }

    private static FullHttpResponse get(String path) {
        StaticFiles files = new StaticFiles();
        EmbeddedChannel ch = new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                assertThat(files.serve(ctx, req, path)).as("served %s", path).isTrue();
            }
        });
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path));
        FullHttpResponse res = ch.readOutbound();
        assertThat(ch.finish()).isFalse();
        return res;
    }

    @Test
    void switchboardJsAndItsTypesAreTheNpmPackageSources() throws IOException {
        for (String name : new String[] {"switchboard.js", "switchboard.d.ts"}) {
            FullHttpResponse res = get("/" + name);
            try {
                assertThat(res.status()).isEqualTo(HttpResponseStatus.OK);
                assertThat(ByteBufUtil.getBytes(res.content())).isEqualTo(Files.readAllBytes(packageSource(name)));
                assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE))
                        .isEqualTo(name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/plain; charset=utf-8");
            } finally {
                res.release();
            }
        }
    }
}
