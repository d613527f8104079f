package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore.StoreResult;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * {@code inspect} on the structures redis.command rpush, hset, sadd, zadd and xadd write, on a real redis-server:
 * values encoded with lz4 and zstd with a stored dictionary, each structure with one element that does not decode,
 * plain members and stream fields, and a large set read only as far as --limit.
 */
class InspectStructuresCliTest {

    private static final int LIST_LENGTH = 25;
    private static final int BIG_SET_MEMBERS = 1_000;

    private static RedisServerProcess redis;
    private static RespClient client;
    private static ZstdDictionary dictionary;
    private static final List<byte[]> HEARTBEATS = new ArrayList<>();
    private static final List<String> STREAM_IDS = new ArrayList<>();
    private static final ValueEncoder LZ4 = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(0).checksum(true).build();
    private static final ValueEncoder ZSTD = ValueEncoder.builder().codec(Codec.ZSTD).build();

    @BeforeAll
    static void writeStructures() throws Exception {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
        Random random = new Random(7);
        for (int i = 0; i < 300; i++) {
            HEARTBEATS.add(SampleData.heartbeat("sensor-" + i, i, random));
        }
        dictionary = DictionaryTrainer.train(HEARTBEATS.subList(100, 300), 2048);
        ZstdDictionary notStored = DictionaryTrainer.train(HEARTBEATS.subList(0, 200), 1024);
        try (RedisDictionaryStore store = RedisDictionaryStore.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri())),
                "test")) {
            assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
        }

        // rpush: even elements lz4, odd ones zstd with the dictionary; element 3 damaged
        for (int i = 0; i < LIST_LENGTH; i++) {
            byte[] element = i % 2 == 0 ? LZ4.encode(heartbeats(i)) : ZSTD.encode(heartbeat(i), dictionary);
            client.command(bytes("RPUSH"), bytes("s:list"), i == 3 ? damaged(heartbeats(i)) : element);
        }
        // hset: each field's value alone in the format (a short one stored uncompressed, codec none), one field another
        // writer put there, one naming a dictionary that is not stored
        client.command(bytes("HSET"), bytes("s:hash"), bytes("temperature"), ValueEncoder.defaults().encode(bytes("21.5")),
                bytes("reading"), LZ4.encode(heartbeats(1)), bytes("note"), bytes("plain"),
                bytes("old"), ZSTD.encode(heartbeat(2), notStored));
        // sadd: whole values as members, one cut short, one plain member (redis.member.template)
        client.command(bytes("SADD"), bytes("s:set"), LZ4.encode(heartbeats(10)), truncated(heartbeats(11)), bytes("sensor-7"));
        client.command("SADD", "s:set-of-templates", "sensor-1", "sensor-2");
        byte[][] bigSet = new byte[2 + BIG_SET_MEMBERS][];
        bigSet[0] = bytes("SADD");
        bigSet[1] = bytes("s:big-set");
        for (int i = 0; i < BIG_SET_MEMBERS; i++) {
            bigSet[2 + i] = LZ4.encode(bytes("{\"member\":" + i + "}"));
        }
        client.command(bigSet);
        // zadd: scores from the timestamp, one damaged member, one plain member with a small score
        client.command(bytes("ZADD"), bytes("s:zset"), bytes("1764000000000"), LZ4.encode(heartbeats(20)),
                bytes("1764000001000"), damaged(heartbeats(21)), bytes("21.5"), bytes("sensor-7"));
        // xadd: the value field and the extra fields; one value cut short; one entry without the value field
        STREAM_IDS.add(xadd("s:stream", bytes("value"), LZ4.encode(heartbeats(30)), bytes("key"), bytes("sensor-30"),
                bytes("timestamp"), bytes("1764000030000")));
        STREAM_IDS.add(xadd("s:stream", bytes("value"), truncated(heartbeats(31)), bytes("key"), bytes("sensor-31")));
        STREAM_IDS.add(xadd("s:stream", bytes("payload"), LZ4.encode(heartbeats(32)), bytes("key"), bytes("sensor-32")));
        xadd("s:stream-of-payloads", bytes("payload"), ZSTD.encode(heartbeat(33), dictionary), bytes("key"), bytes("sensor-33"));
    }

    @AfterAll
    static void stopRedis() {
        if (client != null) {
            client.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static byte[] heartbeat(int i) {
        return HEARTBEATS.get(i);
    }

    /** Heartbeat {@code i} three times, one a line: long and repetitive enough for lz4 to gain on it. */
    private static byte[] heartbeats(int i) {
        String line = new String(heartbeat(i), StandardCharsets.UTF_8);
        return bytes(line + "\n" + line + "\n" + line);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** An lz4 value with a checksum, one byte of its payload flipped. */
    private static byte[] damaged(byte[] original) {
        byte[] value = LZ4.encode(original);
        value[value.length - 1] ^= 0x40;
        return value;
    }

    /** An lz4 value cut in half. */
    private static byte[] truncated(byte[] original) {
        byte[] value = LZ4.encode(original);
        return Arrays.copyOf(value, value.length / 2);
    }

    private static String xadd(String key, byte[]... fields) {
        byte[][] command = new byte[3 + fields.length][];
        command[0] = bytes("XADD");
        command[1] = bytes(key);
        command[2] = bytes("*");
        System.arraycopy(fields, 0, command, 3, fields.length);
        return new String((byte[]) client.command(command), StandardCharsets.UTF_8);
    }

    private static RedcompressCliTest.Run inspect(String... args) {
        List<String> all = new ArrayList<>(List.of("inspect"));
        all.addAll(List.of(args));
        all.addAll(List.of("--set", "redis.uri=" + redis.uri()));
        return RedcompressCliTest.run(all.toArray(String[]::new));
    }

    private static String preview(int heartbeat) {
        return "{\"deviceId\":\"sensor-" + heartbeat + "\",";
    }

    private static long lines(String out, String prefix) {
        return out.lines().filter(line -> line.startsWith(prefix)).count();
    }

    @Test
    void listShowsEachElementDecodedTheDamagedOneWithItsErrorAndHowManyAreNotRead() {
        RedcompressCliTest.Run run = inspect("s:list");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("type:          list", "length:        25 elements (LLEN), from the head",
                "  [0]: lz4, " + String.format("%,d", heartbeats(0).length) + " bytes (",
                "  [1]: zstd+dictionary " + dictionary.id() + ", " + String.format("%,d", heartbeat(1).length) + " bytes (",
                "  [3]: undecodable, corrupt:",
                "more:          5 not read (--limit 20)",
                "result:        20 read: 19 decode, 1 undecodable");
        for (int i : new int[] {0, 1, 2, 4, 19}) {
            assertThat(run.out()).contains("  [" + i + "]: ").contains("stored): " + preview(i));
        }
        assertThat(lines(run.out(), "  [")).isEqualTo(20);
        assertThat(run.err()).isEmpty();
    }

    @Test
    void limitBoundsTheElementsRead() {
        RedcompressCliTest.Run run = inspect("s:list", "--limit", "3");
        RedcompressCliTest.Run zero = inspect("s:list", "--limit", "0");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(lines(run.out(), "  [")).isEqualTo(3);
        assertThat(run.out()).contains("  [2]: lz4, ", "more:          22 not read (--limit 3)", "result:        3 read: 3 decode");
        assertThat(zero.code()).isEqualTo(ExitCode.USAGE);
        assertThat(zero.err()).contains("--limit must be at least 1, was 0");
    }

    @Test
    void aLargeSetIsReadOnlyAsFarAsTheLimit() {
        RedcompressCliTest.Run run = inspect("s:big-set", "--limit", "5");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("length:        1,000 members (SCARD), in SSCAN order",
                "more:          995 not read (--limit 5)", "result:        5 read: 5 decode");
        assertThat(lines(run.out(), "  member: ")).isEqualTo(5);
    }

    @Test
    void hashShowsEachFieldDecodedAndLabelsAFieldNotInTheFormat() {
        RedcompressCliTest.Run run = inspect("s:hash");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("length:        4 fields (HLEN)", "  temperature: none, 4 bytes (",
                "stored): 21.5\n", "  reading: lz4, ", "stored): " + preview(1),
                "  note: foreign (not in the value format), 5 bytes: plain\n", "  old: undecodable, unknown-dictionary: ",
                "result:        4 read: 2 decode, 1 foreign, 1 undecodable");
        assertThat(run.out()).doesNotContain("more:");
    }

    @Test
    void setShowsMembersDecodedPlainMembersAsTextAndTheDamagedOne() {
        RedcompressCliTest.Run run = inspect("s:set");
        RedcompressCliTest.Run templates = inspect("s:set-of-templates");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("length:        3 members (SCARD)", "  member: lz4, ", "stored): " + preview(10),
                "  member: text, 8 bytes: sensor-7\n", "  member: undecodable, corrupt:codec-failure: lz4 payload ",
                "result:        3 read: 1 decode, 1 text, 1 undecodable");
        // members from redis.member.template are plain by design: not a finding
        assertThat(templates.code()).as(templates.toString()).isZero();
        assertThat(templates.out()).contains("  member: text, 8 bytes: sensor-1\n", "result:        2 read: 2 text");
    }

    @Test
    void sortedSetShowsEachMemberWithItsScoreLowestFirst() {
        RedcompressCliTest.Run run = inspect("s:zset");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("length:        3 members (ZCARD), lowest score first",
                "result:        3 read: 1 decode, 1 text, 1 undecodable");
        List<String> members = run.out().lines().filter(line -> line.startsWith("  score ")).toList();
        assertThat(members).hasSize(3);
        assertThat(members.get(0)).isEqualTo("  score 21.5: text, 8 bytes: sensor-7");
        assertThat(members.get(1)).startsWith("  score 1764000000000: lz4, ").contains("stored): " + preview(20));
        assertThat(members.get(2)).startsWith("  score 1764000001000: undecodable, corrupt:");
    }

    @Test
    void streamShowsEachEntryWithItsValueFieldDecodedAndTheOtherFieldsAsText() {
        RedcompressCliTest.Run run = inspect("s:stream");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("length:        3 entries (XLEN), oldest first",
                "  " + STREAM_IDS.get(0) + "\n    value: lz4, ",
                "stored): " + preview(30) + "",
                "    key: text, 9 bytes: sensor-30\n    timestamp: text, 13 bytes: 1764000030000\n",
                "  " + STREAM_IDS.get(1) + "\n    value: undecodable, corrupt:codec-failure: lz4 payload ",
                "  " + STREAM_IDS.get(2) + "\n    value: missing: the entry has no such field (redis.stream.value.field)\n    payload: text, ",
                "result:        3 read: 1 decode, 5 text, 1 undecodable, 1 missing");
    }

    @Test
    void streamValueFieldComesFromTheConnectorSettings() {
        RedcompressCliTest.Run run = inspect("s:stream-of-payloads", "--set", "redis.stream.value.field=payload");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("    payload: zstd+dictionary " + dictionary.id() + ", ", "stored): " + preview(33),
                "    key: text, 9 bytes: sensor-33\n", "result:        1 read: 1 decode, 1 text");
    }
}
