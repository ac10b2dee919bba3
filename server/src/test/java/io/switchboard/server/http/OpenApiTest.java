package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.HttpMethod;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Observability;
import io.switchboard.server.websocket.PreEncodedFrame;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code /api/openapi.json} describes exactly the routes the API handler serves, no more and no fewer. */
class OpenApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDocumentNamesEveryRouteWithItsMethodAndNothingElse() throws Exception {
        CoreConfig core = CoreConfig.defaults();
        Hub hub = new Hub(core, new MemoryHistoryStore(core.history().size(), core.history().ttl(), TimeSource.SYSTEM),
                PreEncodedFrame.factory(UnpooledByteBufAllocator.DEFAULT), new JsonCodec(), TimeSource.SYSTEM, "n1",
                "test");
        SwitchboardConfig config = SwitchboardConfig.defaults();
        try (Observability observability = new Observability(config, Instrumentation.defaults(), "test")) {
            // With the admin console's reads, which the document describes too (served with admin.enabled).
            ApiHandler api = new ApiHandler(hub, List.of("0123456789abcdef"), 65536,
                    new ApiKeyThrottle(TimeSource.SYSTEM), observability,
                    new AdminApi(hub, new io.switchboard.core.cluster.LocalNodeRegistry(), Map.of()));
            Map<String, HttpMethod> served = api.endpoints();

            JsonNode doc = JSON.readTree(ApiHandler.OPENAPI);
            assertThat(doc.path("openapi").asText()).startsWith("3.");
            Map<String, HttpMethod> documented = new LinkedHashMap<>();
            for (var path : doc.path("paths").properties()) {
                List<String> methods = iterate(path.getValue().fieldNames());
                assertThat(methods).as("methods of %s", path.getKey()).hasSize(1);
                documented.put(path.getKey(), HttpMethod.valueOf(methods.get(0).toUpperCase(Locale.ROOT)));
                for (var op : path.getValue().properties()) {
                    assertThat(op.getValue().path("responses").has("200"))
                            .as("%s %s documents its answer", op.getKey(), path.getKey()).isTrue();
                }
            }
            assertThat(documented).containsExactlyInAnyOrderEntriesOf(served);
        } finally {
            hub.close();
        }
    }

    private static List<String> iterate(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
