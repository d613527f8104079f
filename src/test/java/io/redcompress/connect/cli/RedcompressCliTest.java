package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.codec.TestPayloads;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore.StoreResult;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * Every command of the tool, run in-process against a real redis-server whose keyspace holds values of each codec,
 * zstd+dictionary values whose dictionary is stored, one whose dictionary is not, a foreign value, a damaged value and
 * a hash.
 */
class RedcompressCliTest {

    private static RedisServerProcess redis;
    private static RespClient client;
    private static ZstdDictionary storedDictionary;
    private static ZstdDictionary missingDictionary;

    record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void fillRedis() throws Exception {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
        Random random = new Random(7);
        List<byte[]> heartbeats = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            heartbeats.add(SampleData.heartbeat("sensor-" + i, i, random));
        }
        storedDictionary = DictionaryTrainer.train(heartbeats.subList(0, 200), 2048);
        missingDictionary = DictionaryTrainer.train(heartbeats.subList(100, 300), 1024);
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config(), "test")) {
            assertThat(store.store(storedDictionary)).isEqualTo(StoreResult.STORED);
        }
        for (Codec codec : Codec.values()) {
            client.set("t:" + codec.configName(), ValueEncoder.builder().codec(codec).minSizeToCompress(0).build()
                    .encode(TestPayloads.json1500()));
        }
        ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).build();
        for (int i = 0; i < 3; i++) {
            client.set("t:dict:" + i, zstd.encode(heartbeats.get(250 + i), storedDictionary));
        }
        client.set("t:unknown-dict", zstd.encode(heartbeats.get(260), missingDictionary));
        client.set("t:foreign", "plain text\twritten by someone else");
        byte[] damaged = ValueEncoder.builder().codec(Codec.LZ4).checksum(true).build().encode(TestPayloads.json1500());
        damaged[damaged.length - 1] ^= 0x40;
        client.set("t:damaged", damaged);
        client.command("HSET", "t:hash", "field", "value");
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

    private static RedisSinkConfig config() {
        return new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
    }

    /** The tool run in-process on {@code args}: exit code, stdout, stderr. */
    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RedcompressCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The command with the test server's address after it. */
    private static Run runOnRedis(String... args) {
        String[] withRedis = Arrays.copyOf(args, args.length + 2);
        withRedis[args.length] = "--set";
        withRedis[args.length + 1] = "redis.uri=" + redis.uri();
        return run(withRedis);
    }

    @Test
    void inspectShowsHeaderSizesMemoryAndPreviewOfEachCodec() {
        for (Codec codec : Codec.values()) {
            Run run = runOnRedis("inspect", "t:" + codec.configName());
            assertThat(run.code()).as(run.toString()).isZero();
            assertThat(run.out()).contains("format:        version 1", "codec:         " + codec.configName(),
                    "dictionary:    none", "original:      " + String.format("%,d", TestPayloads.json1500().length) + " bytes",
                    "result:        decodes");
            assertThat(run.out()).containsPattern("checksum:      crc32c 0x[0-9A-F]{8}");
            assertThat(run.out()).containsPattern("memory usage:  [0-9,]+ bytes");
            assertThat(run.out()).containsPattern("stored:        [0-9,]+ bytes \\(ratio [01]\\.[0-9]{3} stored/original\\)");
            assertThat(line(run.out(), "preview:")).startsWith("preview:       " + new String(TestPayloads.json1500(), 0, 20,
                    StandardCharsets.UTF_8)).endsWith("...");
            assertThat(run.err()).isEmpty();
        }
    }

    @Test
    void inspectFetchesTheDictionaryAValueNamesFromRedis() {
        Run run = runOnRedis("inspect", "t:dict:0");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("codec:         zstd+dictionary", "dictionary:    " + storedDictionary.id(),
                "preview:       {\"deviceId\":\"sensor-250\"", "result:        decodes");
    }

    @Test
    void inspectOfAValueWhoseDictionaryIsNotStoredIsAFinding() {
        Run run = runOnRedis("inspect", "t:unknown-dict");

        assertThat(run.code()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("dictionary:    " + missingDictionary.id(), "result:        undecodable, unknown-dictionary: ");
    }

    @Test
    void inspectSaysAForeignValueIsForeign() {
        Run run = runOnRedis("inspect", "t:foreign");

        assertThat(run.code()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("format:        foreign (not written by the connector: first byte 0x70)",
                "preview:       plain text\\twritten by someone else", "result:        foreign value");
    }

    @Test
    void inspectNamesTheErrorKindOfADamagedValue() {
        Run run = runOnRedis("inspect", "t:damaged");

        assertThat(run.code()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("codec:         lz4", "result:        undecodable, corrupt:");
        assertThat(run.out()).containsPattern("checksum:      crc32c 0x[0-9A-F]{8}");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void inspectOfAMissingKeyOrAHashFieldNotInTheFormatIsAFinding() {
        Run missing = runOnRedis("inspect", "t:nothing-here");
        Run hash = runOnRedis("inspect", "t:hash");

        assertThat(missing.code()).isEqualTo(ExitCode.FINDING);
        assertThat(missing.out()).contains("result:        no such key");
        assertThat(hash.code()).isEqualTo(ExitCode.FINDING);
        assertThat(hash.out()).contains("type:          hash", "  field: foreign (not in the value format), 5 bytes: value\n",
                "result:        1 read: 1 foreign");
    }

    @Test
    void statsCountsCodecsBytesDictionariesErrorsAndForeignValues() {
        Run run = runOnRedis("stats", "t:*");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(run.out()).contains("string values:         11 (and 1 keys of other types)");
        assertThat(line(run.out(), "  zstd+dictionary")).matches("  zstd\\+dictionary +3 +27\\.3%");
        for (Codec codec : Codec.values()) {
            assertThat(line(run.out(), "  " + codec.configName() + " ")).matches("  " + codec.configName() + " +1 +9\\.1%");
        }
        assertThat(line(run.out(), "  foreign")).matches("  foreign +1 +9\\.1%");
        assertThat(line(run.out(), "  undecodable")).matches("  undecodable +2 +18\\.2%");
        long original = 5L * TestPayloads.json1500().length;
        assertThat(run.out()).contains("original bytes:        " + String.format("%,d", original + heartbeatLengths()));
        assertThat(line(run.out(), "ratio:")).matches("ratio: +0\\.[0-9]{3} stored/original, [0-9,]+ bytes saved");
        assertThat(run.out()).containsPattern("memory usage per key:  [0-9,]+ bytes \\(avg over 12 keys\\)");
        assertThat(line(run.out(), "  " + storedDictionary.id())).matches("  " + storedDictionary.id() + " +3 values");
        assertThat(line(run.out(), "  " + missingDictionary.id())).matches("  " + missingDictionary.id() + " +1 values");
        assertThat(run.out()).contains("foreign values:        1", "undecodable values:    2");
        assertThat(line(run.out(), "  unknown-dictionary")).matches("  unknown-dictionary +1");
        assertThat(run.out()).containsPattern("\n  corrupt:[a-z-]+ +1\n");
        assertThat(line(run.out(), "dictionaries stored:")).matches("dictionaries stored:   1 under redcompress:dict:\\*, "
                + String.format("%,d", storedDictionary.size()) + " bytes, memory usage [0-9,]+ bytes");
    }

    @Test
    void statsOfDecodableValuesOnlyIsNoFindingAndHonoursTheSampleSize() {
        Run run = runOnRedis("stats", "t:dict:*", "--sample", "2");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("pattern:               t:dict:* (sampled 2 keys, at most 2)", "string values:         2");
        assertThat(line(run.out(), "  zstd+dictionary")).matches("  zstd\\+dictionary +2 +100\\.0%");
    }

    @Test
    void statsLeavesOutTheDictionariesAndTheirBookkeeping() {
        client.set("redcompress:dict:active:sink:t", Long.toString(storedDictionary.id()));

        Run run = runOnRedis("stats", "redcompress:*");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("string values:         0", "foreign values:        0",
                "dictionaries stored:   1 under redcompress:dict:*");
    }

    @Test
    void trainFromAFileStoresADictionaryThatDictionariesThenLists(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("heartbeats.jsonl");
        Random random = new Random(11);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            lines.append(new String(SampleData.heartbeat("dev-" + i, i, random), StandardCharsets.UTF_8)).append('\n');
        }
        Files.writeString(file, lines);

        Run train = runOnRedis("train", "--file", file.toString(), "--format", "json-lines", "--size", "2048",
                "--set", "compression.dictionary.key.prefix=trained");

        assertThat(train.code()).as(train.toString()).isZero();
        assertThat(train.out()).contains("samples:     500 from " + file, "trained on:  450 samples; held out 50 (");
        Matcher id = Pattern.compile("dictionary:  id ([0-9]+), ([0-9,]+) bytes").matcher(train.out());
        assertThat(id.find()).as(train.out()).isTrue();
        assertThat(line(train.out(), "held-out:")).matches(
                "held-out: +ratio 0\\.[0-9]{3} with the dictionary, 0\\.[0-9]{3} with zstd alone \\(stored/original\\)");
        assertThat(train.out()).contains("stored:      trained:" + id.group(1));
        assertThat(client.get("trained:" + id.group(1))).hasSize(Integer.parseInt(id.group(2).replace(",", "")));

        Run again = runOnRedis("train", "--file", file.toString(), "--format", "json-lines", "--size", "2048",
                "--set", "compression.dictionary.key.prefix=trained");
        assertThat(again.out()).contains("stored:      trained:" + id.group(1) + " (the same dictionary was there already)");

        Run dictionaries = runOnRedis("dictionaries", "--set", "compression.dictionary.key.prefix=trained");
        assertThat(dictionaries.code()).as(dictionaries.toString()).isEqualTo(ExitCode.FINDING);
        assertThat(line(dictionaries.out(), id.group(1))).matches(id.group(1) + " +trained:" + id.group(1) + " +"
                + id.group(2) + " +[0-9,]+ +yes +0");
        assertThat(dictionaries.out()).contains("1 dictionaries, " + id.group(2) + " bytes");
        // under this prefix the connector's dictionaries are not stored: the values naming them are a finding
        assertThat(dictionaries.out()).contains("not stored: dictionary " + storedDictionary.id() + ", named by 3 sampled values");
    }

    @Test
    void dictionariesCountsTheValuesNamingEachStoredDictionary() {
        Run run = runOnRedis("dictionaries", "--match", "t:dict:*");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(line(run.out(), Long.toString(storedDictionary.id()))).matches(storedDictionary.id()
                + " +redcompress:dict:" + storedDictionary.id() + " +" + String.format("%,d", storedDictionary.size())
                + " +[0-9,]+ +yes +3");
    }

    @Test
    void trainDryRunStoresNothing(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("lines.txt");
        Random random = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(new String(SampleData.heartbeat("d-" + i, i, random), StandardCharsets.UTF_8));
        }
        Files.write(file, lines);

        Run run = runOnRedis("train", "--file", file.toString(), "--dry-run", "--set", "compression.dictionary.key.prefix=dry");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("stored:      no (--dry-run)");
        assertThat(client.keys("dry:*")).isEmpty();
    }

    @Test
    void trainWithoutASourceOrOnTooFewSamplesIsAUsageError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("few.txt");
        Files.writeString(file, "one\ntwo\n");

        Run noSource = runOnRedis("train");
        Run few = runOnRedis("train", "--file", file.toString());

        assertThat(noSource.code()).isEqualTo(ExitCode.USAGE);
        assertThat(noSource.err()).contains("give either --file PATH or --topic TOPIC");
        assertThat(few.code()).isEqualTo(ExitCode.USAGE);
        assertThat(few.err()).contains("cannot train: training needs at least 16 samples, got 2");
    }

    @Test
    void anUnknownOrInvalidSettingIsAUsageErrorNamingTheKey() {
        Run unknown = runOnRedis("stats", "t:*", "--set", "redis.urii=redis://localhost:1");
        Run invalid = runOnRedis("inspect", "t:lz4", "--set", "redis.mode=bogus");

        assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
        assertThat(unknown.err()).contains("--set redis.urii: not a setting of the connector").doesNotContain("\tat ");
        assertThat(invalid.code()).isEqualTo(ExitCode.USAGE);
        assertThat(invalid.err()).contains("redis.mode").doesNotContain("\tat ");
        assertThat(unknown.out()).isEmpty();
    }

    @Test
    void theConnectorsJsonConfigurationIsReadIgnoringKeysThatAreNotTheConnectors(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("sink.json");
        Files.writeString(json, "{\"name\": \"sink\", \"config\": {\"connector.class\": \"x\", \"tasks.max\": \"4\", "
                + "\"redis.uri\": \"" + redis.uri() + "\", \"compression.codec\": \"zstd\"}}");
        Path properties = dir.resolve("sink.properties");
        Files.writeString(properties, "name=sink\nconnector.class=x\nredis.uri=redis://127.0.0.1:1\n");

        Run fromJson = run("inspect", "t:lz4", "--config", json.toString());
        Run overridden = run("inspect", "t:lz4", "--config", properties.toString(), "--set", "redis.uri=" + redis.uri());

        assertThat(fromJson.code()).as(fromJson.toString()).isZero();
        assertThat(overridden.code()).as(overridden.toString()).isZero();
    }

    @Test
    void unreachableRedisIsExitThreeWithoutAStackTrace() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }

        Run run = run("stats", "*", "--set", "redis.uri=redis://127.0.0.1:" + closedPort, "--set", "redis.connect.timeout.ms=2000");
        Run verbose = run("inspect", "k", "--verbose", "--set", "redis.uri=redis://127.0.0.1:" + closedPort);

        assertThat(run.code()).isEqualTo(ExitCode.REDIS);
        assertThat(run.err()).startsWith("stats: Cannot connect to Redis at 127.0.0.1:" + closedPort).doesNotContain("\tat ");
        assertThat(verbose.code()).isEqualTo(ExitCode.REDIS);
        assertThat(verbose.err()).contains("\tat ");
    }

    @Test
    void helpGloballyAndPerCommand() {
        Run global = run("--help");
        Run inspect = run("inspect", "--help");
        Run none = run();
        Run unknown = run("frobnicate");

        assertThat(global.code()).isZero();
        assertThat(global.out()).contains("inspect", "stats", "train", "dictionaries", "Exit codes:",
                "3   Redis unreachable");
        assertThat(inspect.code()).isZero();
        assertThat(inspect.out()).contains("Usage: redcompress inspect", "KEY", "--config=FILE", "--set=KEY=VALUE");
        assertThat(none.code()).isEqualTo(ExitCode.USAGE);
        assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
        assertThat(unknown.err()).contains("frobnicate");
    }

    private static long heartbeatLengths() {
        long total = 0;
        for (int i = 0; i < 3; i++) {
            total += Long.parseLong(runOnRedis("inspect", "t:dict:" + i).out().lines()
                    .filter(l -> l.startsWith("original:")).findFirst().orElseThrow()
                    .replaceAll("[^0-9]", ""));
        }
        return total;
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + out));
    }
}
