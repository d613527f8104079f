package io.redcompress.connect.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.redis.RedisBucketMigration;
import io.redcompress.connect.testing.BucketedKeyspace;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** The re-bucketing protocol against a real redis-server, offline and while a writer behaves as the connector's tasks. */
class RebucketingTest {

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

    private static RedisBucketMigration open(String prefix) {
        return RedisBucketMigration.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.layout", "buckets",
                "redis.bucket.prefix", prefix, "redis.bucket.count", "1")));
    }

    private static Rebucketing.Result rebucket(String prefix, int to, Rebucketing.Progress progress) {
        try (RedisBucketMigration migration = open(prefix)) {
            return new Rebucketing(migration, prefix, false, false, Duration.ZERO, progress).run(to);
        }
    }

    /** {@code keys} entries {@code <name>:<i>} with distinct values, written by a layout of {@code count} buckets. */
    private static Map<String, String> fill(BucketedKeyspace buckets, int count, int keys) {
        buckets.writeMarker(LayoutMarker.of(count));
        Map<String, String> written = new TreeMap<>();
        Random random = new Random(keys);
        for (int i = 0; i < keys; i++) {
            String key = "device:" + i;
            byte[] value = new byte[1 + random.nextInt(40)];
            random.nextBytes(value);
            buckets.set(count, key, value);
            written.put(key, new String(value, StandardCharsets.ISO_8859_1));
        }
        return written;
    }

    /** Every entry stands in the bucket the layout of {@code count} buckets gives it, and only there. */
    private static void assertEachEntryInItsBucket(BucketedKeyspace buckets, int count) {
        BucketLayout layout = buckets.layout(count);
        buckets.snapshot().forEach((bucket, entries) -> entries.keySet().forEach(field -> assertThat(
                new String(layout.bucketKey(field.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
                .as(field).isEqualTo(bucket)));
    }

    @Test
    void growingAndShrinkingMovesEveryEntryOnceAndLosesNone() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "grow:");
        Map<String, String> written = fill(buckets, 7, 3_000);

        Rebucketing.Result grown = rebucket("grow:", 23, new Rebucketing.Progress() { });

        assertThat(grown.outcome()).isEqualTo(Rebucketing.Outcome.DONE);
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);
        assertEachEntryInItsBucket(buckets, 23);
        assertThat(grown.moved().moved() + grown.inPlace()).isEqualTo(3_000);
        assertThat(grown.moved().moved()).isGreaterThan(2_000); // most entries change bucket from 7 to 23
        assertThat(grown.bucketsScanned()).isEqualTo(7);
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(23));
        assertThat(client.exists("grow:rebucket")).isFalse();

        Rebucketing.Result shrunk = rebucket("grow:", 5, new Rebucketing.Progress() { });

        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);
        assertEachEntryInItsBucket(buckets, 5);
        assertThat(shrunk.bucketsScanned()).isEqualTo(23);
        assertThat(buckets.snapshot().keySet()).hasSize(5); // emptied buckets are gone: Redis deletes an empty hash
        assertThat(rebucket("grow:", 5, new Rebucketing.Progress() { }).outcome())
                .isEqualTo(Rebucketing.Outcome.NOTHING_TO_DO);
    }

    @Test
    void aMarkerThatLostItsMigratingStateStopsTheMovesAndTheNextRunMarksTheMigrationAgain() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "lost:");
        Map<String, String> written = fill(buckets, 5, 800);
        Rebucketing.Progress evictedAfterTwoBuckets = new Rebucketing.Progress() {
            @Override
            public void bucketDone(int bucket, int oldCount) {
                if (bucket == 1) {
                    // evicted, then stored by a task that started meanwhile with the new count
                    client.set("lost:layout", LayoutMarker.of(9).format());
                }
            }
        };
        assertThatThrownBy(() -> rebucket("lost:", 9, evictedAfterTwoBuckets)).isInstanceOf(Rebucketing.Refused.class)
                .hasMessageContaining("no longer holds the marker of this re-bucketing");
        assertThat(client.getString("lost:rebucket")).isEqualTo("from=5 to=9 next=2");
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);

        List<LayoutMarker> resumed = new ArrayList<>();
        Rebucketing.Result result = rebucket("lost:", 9, new Rebucketing.Progress() {
            @Override
            public void resumed(LayoutMarker marker, int nextBucket) {
                resumed.add(marker);
                assertThat(nextBucket).isEqualTo(2);
            }
        });
        assertThat(resumed).singleElement().satisfies(m -> {
            assertThat(m.migrating()).as("tombstones delete from the old buckets again").isTrue();
            assertThat(m.previousCount()).isEqualTo(5);
        });
        assertThat(result.outcome()).isEqualTo(Rebucketing.Outcome.DONE);
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);
        assertEachEntryInItsBucket(buckets, 9);
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(9));
        assertThat(client.exists("lost:rebucket")).isFalse();
    }

    @Test
    void aRunThatStoppedResumesAtTheCursor() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "resume:");
        Map<String, String> written = fill(buckets, 7, 1_000);
        Rebucketing.Progress crashAfterThreeBuckets = new Rebucketing.Progress() {
            @Override
            public void bucketDone(int bucket, int oldCount) {
                if (bucket == 2) {
                    throw new IllegalStateException("stopped");
                }
            }
        };

        assertThatThrownBy(() -> rebucket("resume:", 11, crashAfterThreeBuckets)).hasMessage("stopped");

        assertThat(client.getString("resume:rebucket")).isEqualTo("from=7 to=11 next=3");
        LayoutMarker midway = buckets.marker();
        assertThat(midway.migrating()).isTrue();
        assertThat(midway.count()).isEqualTo(11);
        assertThat(midway.previousCount()).isEqualTo(7);
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);

        List<Integer> resumedAt = new ArrayList<>();
        Rebucketing.Result result = rebucket("resume:", 11, new Rebucketing.Progress() {
            @Override
            public void resumed(LayoutMarker marker, int nextBucket) {
                resumedAt.add(nextBucket);
            }
        });

        assertThat(resumedAt).containsExactly(3);
        assertThat(result.bucketsScanned()).isEqualTo(4);
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(written);
        assertEachEntryInItsBucket(buckets, 11);
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(11));
        assertThat(client.exists("resume:rebucket")).isFalse();
    }

    @Test
    void refusesWithoutAMarkerWhileAnotherCountIsUnderWayAndOnAClusterWithTheConnectorRunning() {
        assertThatThrownBy(() -> rebucket("nomarker:", 4, new Rebucketing.Progress() { }))
                .isInstanceOf(Rebucketing.Refused.class).hasMessageContaining("no layout marker at nomarker:layout");

        BucketedKeyspace buckets = new BucketedKeyspace(client, "busy:");
        LayoutMarker underWay = LayoutMarker.of(4).migratingTo(9, 1);
        buckets.writeMarker(underWay);
        assertThatThrownBy(() -> rebucket("busy:", 12, new Rebucketing.Progress() { }))
                .isInstanceOf(Rebucketing.Refused.class).hasMessageContaining("finish it first with --to 9");
        assertThat(buckets.marker()).isEqualTo(underWay);

        BucketedKeyspace clustered = new BucketedKeyspace(client, "cl:");
        clustered.writeMarker(LayoutMarker.of(4));
        try (RedisBucketMigration migration = open("cl:")) {
            Rebucketing clusterWithConnector = new Rebucketing(migration, "cl:", true, false, Duration.ZERO,
                    new Rebucketing.Progress() { });
            assertThatThrownBy(() -> clusterWithConnector.run(8)).isInstanceOf(Rebucketing.Refused.class)
                    .hasMessageContaining("run with --connector-stopped");
        }
        assertThat(clustered.marker()).isEqualTo(LayoutMarker.of(4));
    }

    /**
     * The online proof: while entries move, a writer sets and deletes keys the way the connector's tasks do (by the
     * marker it re-reads every 20 ms: sets to the new bucket, deletes from the old then the new), and at the end every
     * key holds exactly its last write.
     */
    @Test
    void whileTheConnectorWritesEveryKeyEndsWithItsLastWrite() throws Exception {
        String prefix = "live:";
        BucketedKeyspace buckets = new BucketedKeyspace(client, prefix);
        int keys = 20_000;
        Map<String, String> expected = new java.util.concurrent.ConcurrentHashMap<>(fill(buckets, 40, keys));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writesWhileMigrating = new AtomicLong();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (RespClient own = redis.client()) {
                BucketedKeyspace tasks = new BucketedKeyspace(own, prefix);
                Random random = new Random(11);
                LayoutMarker marker = tasks.marker();
                long nextCheck = 0;
                for (long sequence = 0; !stop.get(); sequence++) {
                    if (System.nanoTime() >= nextCheck) {
                        marker = tasks.marker();
                        nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                    }
                    String key = "device:" + random.nextInt(keys);
                    if (random.nextInt(4) == 0) {
                        if (marker.migrating()) {
                            tasks.delete(marker.previousCount(), key);
                        }
                        tasks.delete(marker.count(), key);
                        expected.remove(key);
                    } else {
                        String value = "w" + sequence;
                        tasks.set(marker.count(), key, value.getBytes(StandardCharsets.ISO_8859_1));
                        expected.put(key, value);
                    }
                    if (marker.migrating()) {
                        writesWhileMigrating.incrementAndGet();
                    }
                }
            }
        });
        Thread.sleep(200);

        List<Duration> waits = new ArrayList<>();
        Rebucketing.Result result;
        try (RedisBucketMigration migration = open(prefix)) {
            result = new Rebucketing(migration, prefix, false, false, Duration.ofSeconds(1), new Rebucketing.Progress() {
                @Override
                public void waiting(Duration left) {
                    waits.add(left);
                }
            }).run(160);
        }
        Thread.sleep(200);
        stop.set(true);
        writer.get(30, TimeUnit.SECONDS);

        assertThat(waits).isNotEmpty();
        assertThat(writesWhileMigrating.get()).as("writes while entries moved").isGreaterThan(1_000);
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(160));
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(new TreeMap<>(expected));
        assertEachEntryInItsBucket(buckets, 160);
        // the writer raced the moves: some entries moved, some old values lost to a newer write in the new bucket
        assertThat(result.moved().moved()).isPositive();
        assertThat(result.moved().superseded()).isPositive();
    }
}
