package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.testing.BucketedKeyspace;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** Reading entries of the bucketed layout back, decoded, from a real redis-server, before, during and after a re-bucketing. */
class RedisBucketReaderTest {

    private static final ValueEncoder LZ4 = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(0).build();

    private static RedisServerProcess redis;
    private static RespClient client;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
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

    private static RedisBucketReader open(String prefix) {
        return RedisBucketReader.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.layout", "buckets",
                "redis.bucket.prefix", prefix, "redis.bucket.count", "1")));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsAndDecodesAnEntryFromTheBucketTheMarkerCountGives() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "plain:");
        buckets.writeMarker(LayoutMarker.of(13));
        buckets.set(13, "device:1", LZ4.encode(utf8("{\"temp\":21.5}")));

        try (RedisBucketReader reader = open("plain:")) {
            assertThat(reader.read(utf8("device:1"))).isEqualTo(utf8("{\"temp\":21.5}"));
            assertThat(reader.read(utf8("device:2"))).isNull();
            RedisBucketReader.Found found = reader.find(utf8("device:1"));
            assertThat(found.bucketKeyText()).isEqualTo(new String(buckets.layout(13).bucketKey(utf8("device:1")),
                    StandardCharsets.UTF_8));
            assertThat(found.oldLayout()).isFalse();
        }
    }

    @Test
    void withoutAMarkerNothingIsThere() {
        try (RedisBucketReader reader = open("never-written:")) {
            assertThat(reader.read(utf8("device:1"))).isNull();
            assertThat(reader.marker()).isNull();
        }
    }

    @Test
    void whileEntriesMoveItLooksInTheNewBucketThenTheOldAndFollowsTheMarker() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "moving:");
        buckets.writeMarker(LayoutMarker.of(5));
        // buckets 3 and 4 of 5; 5 and 10 of 17 (zlib.crc32)
        buckets.set(5, "device:a", LZ4.encode(utf8("old layout")));
        buckets.set(5, "rewritten", LZ4.encode(utf8("stale")));

        try (RedisBucketReader reader = open("moving:")) {
            assertThat(reader.read(utf8("device:a"))).isEqualTo(utf8("old layout"));

            buckets.writeMarker(LayoutMarker.of(5).migratingTo(17, 1));
            buckets.set(17, "rewritten", LZ4.encode(utf8("newer")));

            // the reader learned count 5 and finds the marker changed in the same round trip
            RedisBucketReader.Found notMoved = reader.find(utf8("device:a"));
            assertThat(notMoved.oldLayout()).isTrue();
            assertThat(reader.read(utf8("device:a"))).isEqualTo(utf8("old layout"));
            assertThat(reader.read(utf8("rewritten"))).isEqualTo(utf8("newer"));
            assertThat(reader.marker().previousCount()).isEqualTo(5);

            buckets.delete(5, "device:a");
            buckets.set(17, "device:a", LZ4.encode(utf8("old layout")));
            buckets.delete(5, "rewritten");
            buckets.writeMarker(LayoutMarker.of(17));

            assertThat(reader.read(utf8("device:a"))).isEqualTo(utf8("old layout"));
            assertThat(reader.find(utf8("device:a")).oldLayout()).isFalse();
            assertThat(reader.read(utf8("rewritten"))).isEqualTo(utf8("newer"));
            assertThat(reader.marker()).isEqualTo(LayoutMarker.of(17));
        }
    }
}
