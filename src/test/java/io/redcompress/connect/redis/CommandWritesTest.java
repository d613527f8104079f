package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.config.StreamExtraField;
import io.redcompress.connect.mapping.AppendLayout;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.pipeline.AppendSequence;
import io.redcompress.connect.pipeline.PendingWrite;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * The commands against a real redis-server: what a redelivery, a gap and a tombstone do to lists and streams, and
 * the idempotent HSET, SADD, ZADD, SREM and ZREM.
 */
class CommandWritesTest {

    private static final TopicPartition PARTITION = new TopicPartition("t", 0);
    private static final String MARKS = AppendLayout.markPrefix("redcompress:eo:", "c");

    private static RedisServerProcess redis;
    private static RespClient client;
    private static LettuceWriteSender sender;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
        sender = LettuceWriteSender.connect(new RedisSinkConfig(Map.of("redis.uri", redis.uri())));
    }

    @AfterAll
    static void stopRedis() {
        sender.close();
        client.close();
        redis.close();
    }

    @BeforeEach
    void empty() {
        client.command("FLUSHALL");
    }

    @Test
    void aRedeliveredRunOfAppendsIsAppliedOnce() throws Exception {
        AppendLayout layout = AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, MARKS);
        List<RedisWrite> writes = new ArrayList<>();
        for (long offset = 0; offset < 6; offset++) {
            writes.add(layout.set(id(offset), bytes("list:" + offset % 2), bytes("v" + offset), 2, 0));
        }
        assertThat(send(new AppendSequence(), writes)).allSatisfy(r -> {
            assertThat(r.isAcknowledged()).isTrue();
            assertThat(r.duplicate()).isFalse();
        });
        // a restarted task gets the same records again, from an earlier committed offset
        assertThat(send(new AppendSequence(), writes)).allSatisfy(r -> {
            assertThat(r.isAcknowledged()).isTrue();
            assertThat(r.duplicate()).as("applied before").isTrue();
        });
        assertThat(list("list:0")).containsExactly("v0", "v2", "v4");
        assertThat(list("list:1")).containsExactly("v1", "v3", "v5");
        assertThat(client.command("HGET", MARKS + "{" + tagOf("list:0") + "}", "t/0")).isNotNull();
    }

    @Test
    void aRunOfAppendsGoesAsOneScriptThatStopsAtTheFirstFailure() throws Exception {
        AppendLayout layout = AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, MARKS);
        List<RedisWrite> writes = new ArrayList<>();
        for (long offset = 0; offset < 1200; offset++) {
            writes.add(layout.set(id(offset), bytes("dev:" + offset % 50), bytes("v" + offset), 4, 0));
        }
        client.command("SET", "dev:7", "a string"); // offset 7 fails, and nothing after it in its script runs
        client.command("CONFIG", "RESETSTAT");
        List<WriteResult> results = send(new AppendSequence(), writes);
        assertThat(results.subList(0, 7)).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
        assertThat(results.get(7).failure()).isEqualTo(FailureKind.PERMANENT);
        assertThat(results.get(7).reason()).contains("WRONGTYPE");
        assertThat(results.get(8).failure()).as("no verdict of its own: sent again at once").isEqualTo(FailureKind.RESEND);
        assertThat(results.get(8).reason()).contains("not run");
        assertThat(list("dev:8")).as("not run").isEmpty();
        String stats = new String((byte[]) client.command("INFO", "commandstats"), StandardCharsets.UTF_8);
        assertThat(stats).as("512 appends per script").containsPattern("cmdstat_eval:calls=3,");
        // the task rewinds to offset 7 (after the dead letter of 7, to 8) and sends the rest again
        client.command("DEL", "dev:7");
        List<WriteResult> again = send(new AppendSequence(), writes.subList(8, writes.size()));
        assertThat(again).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
        assertThat(list("dev:8")).hasSize(24).startsWith("v8", "v58");
        assertThat(list("dev:9")).hasSize(24).doesNotHaveDuplicates();
    }

    @Test
    void atLeastOnceAppendsARedeliveryAgain() throws Exception {
        AppendLayout layout = AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, null);
        List<RedisWrite> writes = List.of(layout.set(id(0), bytes("l"), bytes("a"), 1, 0));
        send(new AppendSequence(), writes);
        send(new AppendSequence(), writes);
        assertThat(list("l")).containsExactly("a", "a");
        assertThat(client.dbsize()).as("no marks").isEqualTo(1);
    }

    @Test
    void aWriteIsNotAppliedAfterAnEarlierOneOfItsPartitionAndSlotFailed() throws Exception {
        AppendLayout layout = AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, MARKS);
        client.command("SET", "busy", "a string"); // the first write fails: WRONGTYPE
        // the same slot: a hash tag
        List<RedisWrite> writes = List.of(
                layout.set(id(0), bytes("{d}:a"), bytes("first"), 5, 0),
                layout.set(id(1), bytes("{d}:a"), bytes("second"), 6, 0));
        client.command("SET", "{d}:a", "a string");
        AppendSequence sequence = new AppendSequence();
        // two pipelines of the partition in flight at once: the second was sent before the first one's failure was known
        assertThat(send(sequence, writes.subList(0, 1)).get(0).failure()).as("WRONGTYPE: about the key")
                .isEqualTo(FailureKind.PERMANENT);
        client.command("DEL", "{d}:a");
        WriteResult second = send(sequence, writes.subList(1, 2)).get(0);
        assertThat(second.failure()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(second.reason()).contains("GAP", "offset 0");
        assertThat(client.exists("{d}:a")).isFalse();
        // in one script, the write after a failed one is not run
        client.command("SET", "{d}:a", "a string");
        assertThat(send(new AppendSequence(), writes).get(1)).satisfies(notRun -> {
            assertThat(notRun.reason()).contains("not run");
            assertThat(notRun.failure()).isEqualTo(FailureKind.RESEND);
        });
        client.command("DEL", "{d}:a");
        // after a transient failure of offset 0 the task rewinds to it and sends both again, the first following anything
        assertThat(send(new AppendSequence(), writes)).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
        assertThat(list("{d}:a")).containsExactly("first", "second");
    }

    @Test
    void aRedeliveredTombstoneDoesNotDeleteWhatCameAfterIt() throws Exception {
        AppendLayout layout = AppendLayout.list(RedisWrite.AppendCommand.LPUSH, 2, MARKS);
        List<RedisWrite> writes = List.of(
                layout.set(id(0), bytes("l"), bytes("a"), 1, 0),
                layout.delete(id(1), bytes("l")),
                layout.set(id(2), bytes("l"), bytes("b"), 1, 0),
                layout.set(id(3), bytes("l"), bytes("c"), 1, 0),
                layout.set(id(4), bytes("l"), bytes("d"), 1, 0));
        send(new AppendSequence(), writes);
        send(new AppendSequence(), writes.subList(1, 3)); // redelivered from the tombstone on, as after a rewind to it
        assertThat(list("l")).as("LPUSH, capped at the 2 newest").containsExactly("d", "c");
    }

    @Test
    void streamEntriesCarryTheValueAndTheExtraFieldsOnce() throws Exception {
        AppendLayout layout = AppendLayout.stream(0, 0, "v", List.of(StreamExtraField.parse("offset"),
                StreamExtraField.parse("topic")), MARKS);
        List<RedisWrite> writes = List.of(layout.set(id(7), bytes("s"), bytes("x"), 1, 0),
                layout.set(id(8), bytes("s"), bytes("y"), 1, 60_000));
        send(new AppendSequence(), writes);
        send(new AppendSequence(), writes);
        List<?> entries = (List<?>) client.command("XRANGE", "s", "-", "+");
        assertThat(entries).hasSize(2);
        List<?> fields = (List<?>) ((List<?>) entries.get(1)).get(1);
        assertThat(fields.stream().map(f -> new String((byte[]) f, StandardCharsets.UTF_8)))
                .containsExactly("v", "y", "offset", "8", "topic", "t");
        assertThat((Long) client.command("PTTL", "s")).isPositive();
    }

    @Test
    void aStreamWithAMaxAgeDropsEntriesOlderThanItAsItIsWritten() throws Exception {
        client.command("CONFIG", "SET", "stream-node-max-entries", "1"); // MINID ~ trims whole nodes: one entry each
        try {
            long hourAgo = System.currentTimeMillis() - 3_600_000;
            client.command("XADD", "s", (hourAgo - 1) + "-0", "v", "old");
            client.command("XADD", "s", hourAgo + "-0", "v", "old");
            AppendLayout layout = AppendLayout.stream(0, 60_000, "v", List.of(), MARKS);
            send(new AppendSequence(), List.of(layout.set(id(1), bytes("s"), bytes("new"), 1, 0)));
            List<?> entries = (List<?>) client.command("XRANGE", "s", "-", "+");
            assertThat(entries).as("entries older than a minute trimmed, the new one kept").hasSize(1);
            List<?> fields = (List<?>) ((List<?>) entries.get(0)).get(1);
            assertThat(new String((byte[]) fields.get(1), StandardCharsets.UTF_8)).isEqualTo("new");
        } finally {
            client.command("CONFIG", "SET", "stream-node-max-entries", "100");
        }
    }

    @Test
    void hashesSetsAndSortedSetsAreWrittenIdempotentlyWithTheirExpiry() throws Exception {
        RecordId id = id(0);
        List<RedisWrite> writes = List.of(
                new RedisWrite.KeyCommand(id, bytes("h"), RedisWrite.KeyCommandName.HSET,
                        List.of(bytes("a"), bytes("1"), bytes("b"), bytes("2")), 2, 2, 0),
                new RedisWrite.KeyCommand(id(1), bytes("s"), RedisWrite.KeyCommandName.SADD, List.of(bytes("m1")), 2, 2, 60_000),
                new RedisWrite.KeyCommand(id(2), bytes("s"), RedisWrite.KeyCommandName.SADD, List.of(bytes("m2")), 2, 2, 60_000),
                new RedisWrite.KeyCommand(id(3), bytes("s"), RedisWrite.KeyCommandName.SREM, List.of(bytes("m1")), 0, 0, 0),
                new RedisWrite.KeyCommand(id(4), bytes("z"), RedisWrite.KeyCommandName.ZADD, List.of(bytes("2.5"), bytes("x")), 1, 1, 0),
                new RedisWrite.KeyCommand(id(5), bytes("z"), RedisWrite.KeyCommandName.ZADD, List.of(bytes("1"), bytes("y")), 1, 1, 0));
        client.command("SET", "z", "a string");
        List<WriteResult> results = send(new AppendSequence(), writes);
        assertThat(results.subList(0, 4)).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
        assertThat(results.get(4).failure()).as("a key of another type: about the record").isEqualTo(FailureKind.PERMANENT);
        client.command("DEL", "z");
        assertThat(send(new AppendSequence(), writes)).as("written again: the same contents")
                .allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
        assertThat((List<?>) client.command("HGETALL", "h")).hasSize(4);
        assertThat(((List<?>) client.command("SMEMBERS", "s")).stream().map(m -> new String((byte[]) m, StandardCharsets.UTF_8)))
                .containsExactly("m2");
        assertThat((Long) client.command("PTTL", "s")).isPositive();
        assertThat(((List<?>) client.command("ZRANGE", "z", "0", "-1")).stream().map(m -> new String((byte[]) m,
                StandardCharsets.UTF_8))).containsExactly("y", "x");
    }

    private List<WriteResult> send(AppendSequence sequence, List<RedisWrite> writes) throws Exception {
        List<PendingWrite> pending = writes.stream().map(w -> new PendingWrite(null, w)).toList();
        List<RedisWrite> chained = sequence.chain(PARTITION, pending).stream().map(PendingWrite::write).toList();
        return sender.send(chained).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static List<String> list(String key) {
        return ((List<?>) client.command("LRANGE", key, "0", "-1")).stream()
                .map(e -> new String((byte[]) e, StandardCharsets.UTF_8)).toList();
    }

    private static String tagOf(String key) {
        return io.redcompress.connect.layout.RedisSlot.tag(io.redcompress.connect.layout.RedisSlot.of(bytes(key)));
    }

    private static RecordId id(long offset) {
        return new RecordId(PARTITION, offset);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
