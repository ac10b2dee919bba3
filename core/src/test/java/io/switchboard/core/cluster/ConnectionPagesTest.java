package io.switchboard.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cluster's oldest connections from the nodes' answers: merged oldest first across nodes, exact within the
 * limit, and still exact (only shorter) when a node's answer had to be cut to fit one registry message.
 */
class ConnectionPagesTest {
    private final NodeCodec codec = new NodeCodec();

    private static ConnectionInfo conn(String node, long connectedAt, long sequence, List<String> rooms) {
        return new ConnectionInfo("c-" + node + "-" + sequence, "u", node, "127.0.0.1:1", rooms, rooms.size(),
                connectedAt, sequence);
    }

    private static List<String> ids(NodeRegistry.ConnectionPage page) {
        return page.connections().stream().map(ConnectionInfo::connId).toList();
    }

    @Test
    void theOldestOfAllNodesComeFirstTiesBrokenByNodeThenRegistration() {
        ConnectionSlice a = new ConnectionSlice(List.of(conn("a", 10, 1, List.of()), conn("a", 30, 2, List.of()),
                conn("a", 30, 3, List.of())), 5, false);
        ConnectionSlice b = new ConnectionSlice(List.of(conn("b", 20, 1, List.of()), conn("b", 30, 2, List.of())), 2,
                false);
        NodeRegistry.ConnectionPage page = ConnectionPages.merge(List.of(b, a), 4, List.of("c"));
        assertThat(ids(page)).containsExactly("c-a-1", "c-b-1", "c-a-2", "c-a-3");
        assertThat(page.total()).isEqualTo(7);
        assertThat(page.missing()).containsExactly("c");
    }

    @Test
    void anAnswerTooLargeForOneMessageIsCutAndTheMergeStopsWhereItWasCut() {
        // 500 connections with 100 rooms of 128 characters each: about 6.5 MB, far over one message.
        List<String> rooms = new ArrayList<>();
        for (int r = 0; r < NodeRegistry.MAX_ROOMS_LISTED; r++) {
            rooms.add(String.format("%03d", r) + "x".repeat(125));
        }
        List<ConnectionInfo> many = new ArrayList<>();
        for (int i = 0; i < NodeRegistry.MAX_CONNECTIONS_PAGE; i++) {
            many.add(conn("b", 2L * i, i, rooms));
        }
        byte[] reply = codec.connectionsReply("b", 7, new ConnectionSlice(many, 900, false));
        assertThat(reply.length).isLessThanOrEqualTo(NodeCodec.MAX_PAYLOAD_BYTES);
        NodeCodec.Message m = codec.read(reply);
        ConnectionSlice cut = m.conns();
        assertThat(cut.cut()).isTrue();
        assertThat(cut.total()).isEqualTo(900);
        assertThat(cut.connections()).isNotEmpty().hasSizeLessThan(many.size());
        assertThat(cut.connections()).isEqualTo(many.subList(0, cut.connections().size()));
        int kept = cut.connections().size();

        // Node a's connections sit between b's: none newer than b's last listed one may be listed.
        List<ConnectionInfo> others = new ArrayList<>();
        for (int i = 0; i < NodeRegistry.MAX_CONNECTIONS_PAGE; i++) {
            others.add(conn("a", 2L * i + 1, i, List.of()));
        }
        NodeRegistry.ConnectionPage page = ConnectionPages.merge(
                List.of(new ConnectionSlice(others, 500, false), cut), NodeRegistry.MAX_CONNECTIONS_PAGE, List.of());
        assertThat(page.connections()).hasSize(2 * kept - 1);
        assertThat(page.connections().get(page.connections().size() - 1)).isEqualTo(many.get(kept - 1));
        assertThat(page.connections()).isSortedAccordingTo(ConnectionPages.ORDER);
        assertThat(page.total()).isEqualTo(1400);
    }

    @Test
    void aReplyThatFitsIsReadBackWholeWithItsSenderAsTheNode() {
        ConnectionInfo c = new ConnectionInfo("c-b-1", "alice", "b", "[::1]:5000", List.of("dev", "lobby"), 120, 1234,
                1);
        NodeCodec.Message m = codec.read(codec.connectionsReply("b", 3, new ConnectionSlice(List.of(c), 1, false)));
        assertThat(m.type()).isEqualTo("conns_reply");
        assertThat(m.req()).isEqualTo(3);
        assertThat(m.conns()).isEqualTo(new ConnectionSlice(List.of(c), 1, false));
        NodeCodec.Message request = codec.read(codec.connectionsRequest("a", 4, "alice", "al", 500));
        assertThat(List.of(request.user(), request.prefix(), request.limit())).containsExactly("alice", "al", 500);
    }

    @Test
    void aReplyThatBreaksABoundIsRefused() {
        for (String bad : new String[] {
            "{\"t\":\"conns_reply\",\"from\":\"b\",\"req\":1,\"total\":1,\"cut\":false,"
                    + "\"conns\":[[\"c\",\"u\",\"a\",1,1,1,[\"two\",\"rooms\"]]]}",
            "{\"t\":\"conns_reply\",\"from\":\"b\",\"req\":1,\"total\":1,\"cut\":false,"
                    + "\"conns\":[[\"c\",\"bad user!\",\"a\",1,1,0,[]]]}",
            "{\"t\":\"conns_reply\",\"from\":\"b\",\"req\":1,\"total\":-1,\"cut\":false,\"conns\":[]}",
            "{\"t\":\"conns_reply\",\"from\":\"b\",\"req\":1,\"total\":1,\"conns\":[]}",
            "{\"t\":\"conns\",\"from\":\"a\",\"req\":1,\"prefix\":\"" + "p".repeat(65) + "\",\"limit\":1}"}) {
            assertThatThrownBy(() -> codec.read(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
