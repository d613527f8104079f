package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.CorruptValueException;
import io.redcompress.connect.codec.NotOurFormatException;
import io.redcompress.connect.codec.TruncatedValueException;
import io.redcompress.connect.codec.UnsupportedFormatVersionException;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueDecodingException;
import io.redcompress.connect.codec.ValueFormat;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4CompressorWithLength;
import net.jpountz.lz4.LZ4Factory;

/**
 * Mixed data in Redis: another application writes under the connector's keys. Whatever it writes - text,
 * JSON, its own compressed blobs, damaged copies of our values - a reader using {@link ValueDecoder} gets the
 * typed error {@code docs/value-format.md} names for it and never wrong bytes; the values nobody touched still
 * decode to exactly what was produced; and the connector's next write for a key replaces the foreign value with
 * a decodable one.
 */
class ForeignValuesInRedisIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int RECORDS = 12;
    private static final String LZ4_TOPIC = "mixed-lz4";
    private static final String ZSTD_TOPIC = "mixed-zstd";

    private static ConnectAndRedis cluster;
    private static RespClient redis;

    /** What another application wrote under a key, and the error decoding it must give. */
    private record Foreign(String key, String what, byte[] value, Class<? extends ValueDecodingException> expected,
                           CorruptValueException.Reason reason) {
    }

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("foreign-values-it", worker -> { });
        redis = cluster.redisClient;
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void foreignValuesUnderTheConnectorsKeysFailTypedAndTheNextRecordReplacesThem() throws Exception {
        cluster.connect.kafka().createTopic(LZ4_TOPIC, 1);
        cluster.connect.kafka().createTopic(ZSTD_TOPIC, 1);
        Map<String, byte[]> produced = new LinkedHashMap<>();
        Random random = new Random(4242);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (String topic : List.of(LZ4_TOPIC, ZSTD_TOPIC)) {
                for (int i = 0; i < RECORDS; i++) {
                    byte[] value = SampleData.logLine(i, random);
                    produced.put(topic + ":k" + i, value);
                    producer.send(new ProducerRecord<>(topic, 0, utf8("k" + i), value));
                }
            }
        }
        startSink("mixed-lz4", LZ4_TOPIC, "lz4");
        startSink("mixed-zstd", ZSTD_TOPIC, "zstd");
        cluster.awaitCommitted("mixed-lz4", Map.of(new TopicPartition(LZ4_TOPIC, 0), (long) RECORDS), WAIT);
        cluster.awaitCommitted("mixed-zstd", Map.of(new TopicPartition(ZSTD_TOPIC, 0), (long) RECORDS), WAIT);

        Map<String, byte[]> stored = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> entry : produced.entrySet()) {
            byte[] value = redis.get(entry.getKey());
            assertThat(ValueDecoder.decode(value)).as(entry.getKey()).isEqualTo(entry.getValue());
            assertThat(ValueDecoder.header(value).codec()).as("codec of %s", entry.getKey())
                    .isEqualTo(entry.getKey().startsWith(LZ4_TOPIC) ? Codec.LZ4 : Codec.ZSTD);
            stored.put(entry.getKey(), value);
        }

        // another application writes under some of the same keys
        List<Foreign> foreign = foreignValues(produced, stored);
        for (Foreign f : foreign) {
            redis.set(f.key(), f.value());
        }

        // every foreign value fails with its typed error; nothing else changed
        for (Foreign f : foreign) {
            byte[] value = redis.get(f.key());
            assertThat(value).as("%s (%s) as Redis holds it", f.key(), f.what()).isEqualTo(f.value());
            Throwable error = catchThrowable(() -> ValueDecoder.decode(value));
            assertThat(error).as("decoding %s: %s", f.key(), f.what()).isInstanceOf(f.expected());
            if (f.reason() != null) {
                assertThat(((CorruptValueException) error).reason()).as("reason for %s: %s", f.key(), f.what())
                        .isEqualTo(f.reason());
            }
            boolean notOurs = f.expected() == NotOurFormatException.class || value.length == 0;
            assertThat(ValueDecoder.isOurFormat(value)).as("isOurFormat for %s: %s", f.key(), f.what()).isEqualTo(!notOurs);
        }
        List<String> foreignKeys = foreign.stream().map(Foreign::key).toList();
        List<String> untouched = new ArrayList<>(produced.keySet());
        untouched.removeAll(foreignKeys);
        assertThat(untouched).as("some keys keep the connector's values").hasSizeGreaterThanOrEqualTo(4);
        for (String key : untouched) {
            assertThat(ValueDecoder.decode(redis.get(key))).as("untouched %s", key).isEqualTo(produced.get(key));
        }

        // the connector's next record for each overwritten key replaces the foreign value
        Map<String, byte[]> replaced = new LinkedHashMap<>();
        long[] next = {RECORDS, RECORDS};
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (String key : foreignKeys) {
                String topic = key.substring(0, key.indexOf(':'));
                byte[] value = SampleData.logLine(1000 + replaced.size(), random);
                replaced.put(key, value);
                producer.send(new ProducerRecord<>(topic, 0, utf8(key.substring(topic.length() + 1)), value));
                next[topic.equals(LZ4_TOPIC) ? 0 : 1]++;
            }
        }
        cluster.awaitCommitted("mixed-lz4", Map.of(new TopicPartition(LZ4_TOPIC, 0), next[0]), WAIT);
        cluster.awaitCommitted("mixed-zstd", Map.of(new TopicPartition(ZSTD_TOPIC, 0), next[1]), WAIT);
        for (Map.Entry<String, byte[]> entry : replaced.entrySet()) {
            byte[] value = redis.get(entry.getKey());
            assertThat(ValueDecoder.decode(value)).as("%s after the connector's new record", entry.getKey())
                    .isEqualTo(entry.getValue());
            assertThat(ValueDecoder.header(value).codec()).as("codec of %s", entry.getKey())
                    .isEqualTo(entry.getKey().startsWith(LZ4_TOPIC) ? Codec.LZ4 : Codec.ZSTD);
        }
        for (String key : untouched) {
            assertThat(ValueDecoder.decode(redis.get(key))).as("untouched %s", key).isEqualTo(produced.get(key));
        }
        assertThat(redis.keys("mixed-*")).hasSize(produced.size());
    }

    /**
     * The overwrites, following the error table of docs/value-format.md: text, JSON and gzip are not ours; a raw
     * LZ4 block without our header is judged by its first byte like any binary (the token of a block opening with
     * 15 or more literals is 0xF0..0xFF, so text compressed this way often looks like a future version, and one
     * that starts with 0xF5 must fail the header checks); the empty value is truncated; cuts inside the header or
     * the zstd frame are truncated, cuts inside a raw LZ4 block corrupt; a flipped bit is a checksum mismatch;
     * 0xF6 is a future version.
     */
    private static List<Foreign> foreignValues(Map<String, byte[]> produced, Map<String, byte[]> stored) {
        List<Foreign> foreign = new ArrayList<>();
        String lz4 = LZ4_TOPIC + ":k";
        String zstd = ZSTD_TOPIC + ":k";
        byte[] lz4Value = stored.get(lz4 + 0);
        byte[] zstdValue = stored.get(zstd + 0);
        int lz4Header = ValueDecoder.header(lz4Value).headerLength();
        int zstdHeader = ValueDecoder.header(zstdValue).headerLength();
        assertThat(lz4Header).as("lz4 header with CRC32C for a 1.5 KB value").isEqualTo(8);

        // text, JSON and other applications' compressed blobs
        foreign.add(new Foreign(lz4 + 0, "plain JSON", utf8("{\"source\":\"legacy-cache\",\"user\":\"u-17\",\"ttl\":300}"),
                NotOurFormatException.class, null));
        foreign.add(new Foreign(lz4 + 1, "plain text", utf8("cache miss placeholder"), NotOurFormatException.class, null));
        foreign.add(new Foreign(lz4 + 2, "UTF-8 text starting with a multi-byte character", utf8("Überweisung bestätigt ✓"),
                NotOurFormatException.class, null));
        LZ4Compressor compressor = LZ4Factory.fastestInstance().fastCompressor();
        byte[] rawLz4 = compressor.compress(produced.get(lz4 + 3));
        foreign.add(new Foreign(lz4 + 3, String.format("raw LZ4 block of the payload, first byte 0x%02X", rawLz4[0] & 0xFF),
                rawLz4, expectedForBinary(rawLz4), null));
        byte[] lz4WithLength = new LZ4CompressorWithLength(compressor).compress(produced.get(lz4 + 4));
        foreign.add(new Foreign(lz4 + 4, String.format("LZ4 block with a length prefix, first byte 0x%02X",
                lz4WithLength[0] & 0xFF), lz4WithLength, expectedForBinary(lz4WithLength), null));
        // an LZ4 block opens with a token; 15+ literals and a 9-byte match make it 0xF5, our marker
        byte[] markerByChance = compressor.compress(utf8("{\"deviceId\":\"th-200-0042\",\"deviceId2\":\"TH-200\",\"temp\":21.5}"));
        assertThat(markerByChance[0] & 0xFF).as("first byte of this raw LZ4 block").isEqualTo(ValueFormat.MAGIC_V1);
        foreign.add(new Foreign(zstd + 7, "raw LZ4 block that starts with 0xF5 by chance", markerByChance,
                CorruptValueException.class, CorruptValueException.Reason.BAD_HEADER));
        foreign.add(new Foreign(lz4 + 5, "empty string", new byte[0], TruncatedValueException.class, null));
        foreign.add(new Foreign(zstd + 0, "gzip of the JSON by another application", gzip(produced.get(zstd + 0)),
                NotOurFormatException.class, null));

        // a future format version
        byte[] future = stored.get(zstd + 1).clone();
        future[0] = (byte) ValueFormat.FIRST_RESERVED_MAGIC;
        foreign.add(new Foreign(zstd + 1, "our zstd value with first byte 0xF6", future, UnsupportedFormatVersionException.class, null));

        // truncated copies of our own values
        foreign.add(new Foreign(lz4 + 6, "lz4 value cut to 1 byte (marker only)", cut(stored.get(lz4 + 6), 1),
                TruncatedValueException.class, null));
        foreign.add(new Foreign(lz4 + 7, "lz4 value cut inside the CRC32C", cut(stored.get(lz4 + 7), lz4Header - 2),
                TruncatedValueException.class, null));
        foreign.add(new Foreign(lz4 + 8, "lz4 value cut after the header (empty block)", cut(stored.get(lz4 + 8), lz4Header),
                CorruptValueException.class, null));
        byte[] lz4Cut = stored.get(lz4 + 9);
        foreign.add(new Foreign(lz4 + 9, "lz4 value cut in the middle of the block", cut(lz4Cut, (lz4Header + lz4Cut.length) / 2),
                CorruptValueException.class, null));
        foreign.add(new Foreign(zstd + 2, "zstd value cut inside the length varint", cut(stored.get(zstd + 2), 3),
                TruncatedValueException.class, null));
        foreign.add(new Foreign(zstd + 3, "zstd value cut inside the frame magic", cut(stored.get(zstd + 3), zstdHeader + 2),
                TruncatedValueException.class, null));
        byte[] zstdCut = stored.get(zstd + 4);
        foreign.add(new Foreign(zstd + 4, "zstd value cut in the middle of the frame", cut(zstdCut, (zstdHeader + zstdCut.length) / 2),
                TruncatedValueException.class, null));
        byte[] zstdEnd = stored.get(zstd + 5);
        foreign.add(new Foreign(zstd + 5, "zstd value missing its last byte", cut(zstdEnd, zstdEnd.length - 1),
                TruncatedValueException.class, null));

        // one flipped bit: in the last literal of an lz4 block (changes the output), in a zstd value's CRC32C
        byte[] flippedLz4 = stored.get(lz4 + 10).clone();
        flippedLz4[flippedLz4.length - 1] ^= 0x01;
        foreign.add(new Foreign(lz4 + 10, "lz4 value with a bit flipped in its last literal", flippedLz4,
                CorruptValueException.class, CorruptValueException.Reason.CHECKSUM_MISMATCH));
        byte[] flippedZstd = stored.get(zstd + 6).clone();
        flippedZstd[zstdHeader - 1] ^= 0x10;
        foreign.add(new Foreign(zstd + 6, "zstd value with a bit flipped in its CRC32C", flippedZstd,
                CorruptValueException.class, CorruptValueException.Reason.CHECKSUM_MISMATCH));
        return foreign;
    }

    /**
     * A binary value of another writer is judged by its first byte (value-format.md, "Byte 0"): below 0xF5 not
     * ours, above it a future version, and exactly 0xF5 has to fail the header or payload checks.
     */
    private static Class<? extends ValueDecodingException> expectedForBinary(byte[] value) {
        int first = value[0] & 0xFF;
        if (first < ValueFormat.MAGIC_V1) {
            return NotOurFormatException.class;
        }
        return first == ValueFormat.MAGIC_V1 ? ValueDecodingException.class : UnsupportedFormatVersionException.class;
    }

    private void startSink(String name, String topic, String codec) throws InterruptedException {
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("compression.codec", codec);
        config.put("compression.checksum.enabled", "true");
        cluster.startConnector(name, config);
    }

    private static byte[] cut(byte[] value, int length) {
        assertThat(length).isLessThan(value.length);
        return Arrays.copyOf(value, length);
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
