package io.redcompress.connect.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryIds;
import io.redcompress.connect.codec.UnknownDictionaryException;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application examples of {@code docs/reading-values.md}, run against a real Redis holding what the
 * connector would have written: a dictionary under {@code redcompress:dict:<id>}, values with and without
 * it, and a key another writer stored as text. The Python reader ({@code docs/examples/read_value.py})
 * runs when a {@code python3} with its packages is on the machine, and is skipped otherwise.
 */
class ReadingValuesExamplesTest {

    private static final Path VECTORS = Path.of("src/test/resources/value-format-vectors");
    private static final Path PYTHON_READER = Path.of("docs/examples/read_value.py");
    private static final String PREFIX = "redcompress:dict";
    private static final String MISSING_DICTIONARY_KEY = "device:compressed-with-a-dictionary-not-in-redis";

    private static RedisServerProcess redis;
    /** Key -> the original bytes a reader must return. */
    private static final Map<String, byte[]> ORIGINALS = new LinkedHashMap<>();

    @BeforeAll
    static void writeLikeTheConnector() throws IOException {
        redis = RedisServerProcess.builder().start();
        ZstdDictionary dictionary = ZstdDictionary.of(Files.readAllBytes(
                VECTORS.resolve("dictionaries/dict-676531.bin")));
        // a dictionary that is nowhere in Redis: the impostor of the vectors, given its own derived id
        ZstdDictionary absent = ZstdDictionary.of(DictionaryIds.withDerivedId(Files.readAllBytes(
                VECTORS.resolve("dictionaries/impostor-676531.bin"))));
        ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).build();
        Random random = new Random(7);
        byte[] heartbeat = SampleData.ofKind("heartbeat", 7, random);
        byte[] log = SampleData.ofKind("log", 8, random);
        byte[] text = "{\"written\":\"by someone else\"}".getBytes(StandardCharsets.UTF_8);
        try (RespClient client = redis.client()) {
            client.set(PREFIX + ":" + dictionary.id(), dictionary.bytes());
            client.set("device:sensor-0000007", zstd.encode(heartbeat, dictionary));
            client.set("log:8", zstd.encode(log));
            client.set("lz4:log:8", ValueEncoder.defaults().encode(log));
            client.set("text:someone-else", text);
            client.set(MISSING_DICTIONARY_KEY, zstd.encode(heartbeat, absent));
            assertThat(ValueDecoder.header(client.get("device:sensor-0000007")).codecName()).isEqualTo("zstd+dictionary");
        }
        ORIGINALS.put("device:sensor-0000007", heartbeat);
        ORIGINALS.put("log:8", log);
        ORIGINALS.put("lz4:log:8", log);
        ORIGINALS.put("text:someone-else", text);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void lettuceExampleReadsEveryKind() {
        try (LettuceValueReader reader = new LettuceValueReader(redis.uri(), PREFIX)) {
            ORIGINALS.forEach((key, original) -> assertThat(reader.read(key)).as(key).isEqualTo(original));
            assertThat(reader.read("no-such-key")).isNull();
            assertThatThrownBy(() -> reader.read(MISSING_DICTIONARY_KEY)).isInstanceOf(UnknownDictionaryException.class);
        }
    }

    @Test
    void jedisExampleReadsEveryKind() {
        try (JedisValueReader reader = new JedisValueReader(redis.host(), redis.port(), PREFIX)) {
            ORIGINALS.forEach((key, original) -> assertThat(reader.read(key)).as(key).isEqualTo(original));
            assertThat(reader.read("no-such-key")).isNull();
            assertThatThrownBy(() -> reader.read(MISSING_DICTIONARY_KEY)).isInstanceOf(UnknownDictionaryException.class);
        }
    }

    @Test
    void pythonReaderPassesTheGoldenVectors() {
        String python = pythonWith("zstandard", "lz4.block", "snappy");
        Result result = run(python, PYTHON_READER.toString(), "--vectors", VECTORS.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).as(result.output()).containsPattern("golden vectors: \\d+ passed, 0 failed")
                .doesNotContain("note:");
    }

    @Test
    void pythonReaderReadsRedis() {
        String python = pythonWith("zstandard", "lz4.block", "redis");
        for (Map.Entry<String, byte[]> key : ORIGINALS.entrySet()) {
            Result result = run(python, PYTHON_READER.toString(), "--redis", redis.uri(), key.getKey(), PREFIX);
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.stdout()).as(key.getKey()).isEqualTo(key.getValue());
        }
        Result missing = run(python, PYTHON_READER.toString(), "--redis", redis.uri(), MISSING_DICTIONARY_KEY, PREFIX);
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.output()).contains("UnknownDictionary");
    }

    /** The first of python3 on the PATH and Debian's /usr/bin/python3 that imports {@code modules}; skips the test if none does. */
    private static String pythonWith(String... modules) {
        String imports = "import " + String.join(", ", modules);
        Optional<String> found = List.of("python3", "/usr/bin/python3").stream()
                .filter(candidate -> {
                    try {
                        return run(candidate, "-c", imports).exitCode() == 0;
                    } catch (UncheckedIOException e) {
                        return false; // no such interpreter
                    }
                })
                .findFirst();
        assumeTrue(found.isPresent(), "no python3 here can run '" + imports + "' (Debian: apt-get install "
                + "python3-zstandard python3-lz4 python3-snappy python3-redis)");
        return found.get();
    }

    private record Result(int exitCode, byte[] stdout, String stderr) {
        String output() {
            return new String(stdout, StandardCharsets.UTF_8) + stderr;
        }
    }

    private static Result run(String... command) {
        try {
            Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).start();
            process.getOutputStream().close();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            Thread drain = new Thread(() -> copy(process.getErrorStream(), stderr));
            drain.start();
            byte[] stdout = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
            }
            drain.join();
            return new Result(process.exitValue(), stdout, stderr.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
