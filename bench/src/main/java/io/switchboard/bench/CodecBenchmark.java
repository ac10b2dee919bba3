package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ProtocolException;
import io.switchboard.protocol.ServerMessage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Decoding a client command and encoding a room message: the two codec steps on every publish. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
    private final JsonCodec codec = new JsonCodec();
    private final byte[] command = ("{\"type\":\"room_message\",\"room\":\"chat:lobby\",\"id\":42,"
            + "\"content\":\"" + "x".repeat(64) + "\"}").getBytes(UTF_8);
    private final ServerMessage.RoomMessage message = new ServerMessage.RoomMessage("chat:lobby", "alice",
            "c-n1-1a", "x".repeat(64), null, 12345, 1_700_000_000_000L);

    @Benchmark
    public Command decodeRoomMessageCommand() throws ProtocolException {
        return codec.decodeCommand(command);
    }

    @Benchmark
    public byte[] encodeRoomMessage() {
        return codec.encode(message);
    }
}
