package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.mapping.WriteLayout;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** The layout marker as tasks claim and check it, against a real redis-server. */
class BucketLayoutGuardTest {

    private static RedisServerProcess redis;
    private static RespClient client;

    @BeforeAll
    static void start() {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
    }

    @AfterAll
    static void stop() {
        client.close();
        redis.close();
    }

    private static RedisSinkConfig config(String prefix, int count, Map<String, String> more) {
        Map<String, String> props = new HashMap<>(Map.of("redis.uri", redis.uri(), "redis.layout", "buckets",
                "redis.bucket.prefix", prefix, "redis.bucket.count", Integer.toString(count)));
        props.putAll(more);
        return new RedisSinkConfig(props);
    }

    private static BucketLayoutGuard guard(RedisSinkConfig config) {
        return BucketLayoutGuard.start(config, WriteLayout.buckets(config.bucketLayout()), "test-guard");
    }

    @Test
    void theFirstTaskStoresTheLayoutAndTasksThatAgreeStartBesideIt() {
        try (BucketLayoutGuard first = guard(config("g1:", 7, Map.of()));
             BucketLayoutGuard second = guard(config("g1:", 7, Map.of()))) {
            assertThat(client.getString("g1:layout")).isEqualTo(LayoutMarker.of(7).format());
            first.throwIfFailed();
            second.throwIfFailed();
        }
    }

    @Test
    void aTaskWithAnotherCountDoesNotStartAndSaysBothCounts() {
        client.set("g2:layout", LayoutMarker.of(7).format());
        assertThatThrownBy(() -> guard(config("g2:", 9, Map.of()))).isInstanceOf(ConnectException.class)
                .hasMessageContaining("count=7").hasMessageContaining("redis.bucket.count=9")
                .hasMessageContaining("(config key: redis.bucket.count)");
        assertThatThrownBy(() -> guard(config("g2:", 0, Map.of("redis.bucket.expected.keys", "10000")))).hasMessageContaining(
                "redis.bucket.count=107 (derived from redis.bucket.expected.keys=10000)");
        assertThat(client.getString("g2:layout")).isEqualTo(LayoutMarker.of(7).format());
    }

    @Test
    void aKeyThatIsNotAMarkerOrAMarkerOfANewerVersionIsNotOverwritten() {
        client.set("g3:layout", "something else");
        assertThatThrownBy(() -> guard(config("g3:", 3, Map.of()))).hasMessageContaining("'something else' is not a bucket "
                + "layout marker").hasMessageContaining("redis.bucket.prefix");
        client.set("g4:layout", "layout=buckets version=2 hash=crc32-ieee count=3 field=logical-key");
        assertThatThrownBy(() -> guard(config("g4:", 3, Map.of()))).hasMessageContaining("does not write (it writes version 1");
    }

    @Test
    void whileReBucketingTombstonesAlsoDeleteFromThePreviousBucket() {
        client.set("g5:layout", LayoutMarker.of(4).migratingTo(8, 1).format());
        RedisSinkConfig config = config("g5:", 8, Map.of());
        WriteLayout.Buckets buckets = WriteLayout.buckets(config.bucketLayout());
        try (BucketLayoutGuard guard = BucketLayoutGuard.start(config, buckets, "test-guard")) {
            assertThat(buckets.previousCount()).isEqualTo(4);
            RecordId id = new RecordId("t", 0, 0);
            byte[] key = "t:some-key".getBytes(StandardCharsets.UTF_8);
            RedisWrite.DeleteField delete = (RedisWrite.DeleteField) buckets.delete(id, key);
            long crc = io.redcompress.connect.layout.BucketLayout.hash(key);
            assertThat(crc % 8).as("a key whose two buckets differ").isNotEqualTo(crc % 4);
            assertThat(new String(delete.key(), StandardCharsets.UTF_8)).isEqualTo("g5:" + crc % 8);
            assertThat(new String(delete.previousKey(), StandardCharsets.UTF_8)).isEqualTo("g5:" + crc % 4);
            assertThat(buckets.set(id, key, new byte[1], 1, 0)).isInstanceOf(RedisWrite.SetField.class);
        }
        assertThatThrownBy(() -> guard(config("g5:", 4, Map.of()))).hasMessageContaining("re-bucketed from 4 to 8")
                .hasMessageContaining("Set redis.bucket.count=8");
    }

    @Test
    void aMarkerDeletedDuringAReBucketingIsStoredAgainAsItWasAndItsEndSwitchesTheOldBucketsHdelOff() {
        LayoutMarker migrating = LayoutMarker.of(4).migratingTo(8, 1);
        client.set("g8:layout", migrating.format());
        RedisSinkConfig config = config("g8:", 8, Map.of());
        WriteLayout.Buckets buckets = WriteLayout.buckets(config.bucketLayout());
        try (BucketLayoutGuard guard = BucketLayoutGuard.open(config, buckets, "test-guard", System::nanoTime)) {
            client.command("DEL", "g8:layout"); // evicted, say
            guard.checkMarker();
            assertThat(client.getString("g8:layout")).as("not a plain count=8").isEqualTo(migrating.format());
            assertThat(buckets.previousCount()).isEqualTo(4);

            client.set("g8:layout", migrating.migrated().format()); // the re-bucketing is done
            guard.checkMarker();
            assertThat(buckets.previousCount()).isZero();
            guard.beforeSending();
        }
    }

    @Test
    void aMarkerThatCannotBeReadStopsTheSendingOnlyOnceTheLastCheckIsTooOld() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        try (RedisServerProcess own = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", own.uri(), "redis.layout", "buckets",
                    "redis.bucket.prefix", "g9:", "redis.bucket.count", "3", "redis.command.timeout.ms", "1000"));
            try (BucketLayoutGuard guard = BucketLayoutGuard.open(config, WriteLayout.buckets(config.bucketLayout()),
                    "test-guard", now::get)) {
                try (RespClient ownClient = own.client()) {
                    ownClient.command("CLIENT", "PAUSE", "8000", "ALL"); // the marker's GET times out
                }
                now.addAndGet(java.util.concurrent.TimeUnit.SECONDS.toNanos(15));
                guard.checkMarker();
                guard.beforeSending(); // a failed check is no problem of the task while the last good one is recent
                now.addAndGet(java.util.concurrent.TimeUnit.SECONDS.toNanos(10));
                assertThatThrownBy(guard::beforeSending).isInstanceOf(org.apache.kafka.connect.errors.RetriableException.class)
                        .hasMessageContaining("could not be read for 25 s");
                await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(guard::beforeSending); // Redis is back
            }
        }
    }

    @Test
    void aReBucketingIsNoPlaceForAClusterTask() {
        RedisSinkConfig config = config("g6:", 8, Map.of("redis.mode", "cluster"));
        assertThat(BucketLayoutGuard.problem(LayoutMarker.of(4).migratingTo(8, 1), config.bucketLayout(), config))
                .hasValueSatisfying(p -> assertThat(p.message()).contains("on a Redis Cluster"));
        assertThat(BucketLayoutGuard.problem(LayoutMarker.of(8), config.bucketLayout(), config)).isEmpty();
    }

    @Test
    void theListpackLimitsAreRedisOwn() {
        client.configSet("hash-max-listpack-entries", "256");
        try (BucketLayoutGuard guard = guard(config("g7:", 3, Map.of()))) {
            assertThat(guard.listpackLimits().entries()).isEqualTo(256);
            assertThat(guard.listpackLimits().valueBytes()).isEqualTo(64);
        } finally {
            client.configSet("hash-max-listpack-entries", "128");
        }
    }
}
