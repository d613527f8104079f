package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.testing.BucketedKeyspace;
import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** {@code rebucket} as operators run it: exit codes and messages, on a real redis-server and a real Redis Cluster. */
class RebucketCommandTest {

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

    private static RedcompressCliTest.Run run(String... args) {
        return RedcompressCliTest.run(args);
    }

    /** rebucket with the test server and a bucketed layout under {@code prefix}, then {@code options}. */
    private static RedcompressCliTest.Run rebucket(String prefix, String... options) {
        List<String> args = new ArrayList<>(List.of("rebucket", "--set", "redis.uri=" + redis.uri(), "--set",
                "redis.layout=buckets", "--set", "redis.bucket.prefix=" + prefix, "--set", "redis.bucket.count=3"));
        args.addAll(List.of(options));
        return run(args.toArray(String[]::new));
    }

    @Test
    void movesEveryEntryPrintsWhatItDidAndThenHasNothingToDo() {
        BucketedKeyspace buckets = new BucketedKeyspace(client, "cli:");
        buckets.writeMarker(LayoutMarker.of(3));
        for (int i = 0; i < 500; i++) {
            buckets.set(3, "device:" + i, ("value " + i).getBytes(StandardCharsets.UTF_8));
        }
        Map<String, String> before = BucketedKeyspace.entries(buckets.snapshot());

        // a grace shorter than a task may go on writing by the old count is refused while the connector runs
        RedcompressCliTest.Run tooShort = rebucket("cli:", "--to", "10", "--grace-seconds", "1");
        assertThat(tooShort.code()).isEqualTo(ExitCode.USAGE);
        assertThat(tooShort.err()).contains("--grace-seconds 1 is shorter", "50 s: 20 s + redis.command.timeout.ms");
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(3));

        // (the wait itself is RebucketingTest's; here the connector is said to be stopped, so there is none)
        RedcompressCliTest.Run run = rebucket("cli:", "--to", "10", "--connector-stopped");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).doesNotContain("waiting:");
        assertThat(run.out()).contains("began:", "3 -> 10 buckets", "done:", "buckets scanned:      3",
                "now:                  set redis.bucket.count=10", "connector:            redis.bucket.count=10");
        assertThat(run.out()).containsPattern("entries moved: +[0-9]{3}");
        assertThat(BucketedKeyspace.entries(buckets.snapshot())).isEqualTo(before);
        assertThat(buckets.snapshot()).hasSize(10);
        assertThat(buckets.marker()).isEqualTo(LayoutMarker.of(10));

        RedcompressCliTest.Run again = rebucket("cli:", "--to", "10");
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).contains("nothing to do: cli:layout says 10 buckets");
    }

    @Test
    void refusalsAreUsageErrorsThatChangeNothing() {
        RedcompressCliTest.Run noMarker = rebucket("none:", "--to", "10");
        assertThat(noMarker.code()).as(noMarker.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(noMarker.err()).contains("no layout marker at none:layout");

        BucketedKeyspace buckets = new BucketedKeyspace(client, "other:");
        LayoutMarker underWay = LayoutMarker.of(3).migratingTo(6, 1);
        buckets.writeMarker(underWay);
        RedcompressCliTest.Run other = rebucket("other:", "--to", "10");
        assertThat(other.code()).as(other.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(other.err()).contains("from 3 to 6 buckets is under way", "--to 6");
        assertThat(buckets.marker()).isEqualTo(underWay);

        RedcompressCliTest.Run keysLayout = run("rebucket", "--to", "4", "--set", "redis.uri=" + redis.uri());
        assertThat(keysLayout.code()).as(keysLayout.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(keysLayout.err()).contains("redis.layout=buckets");

        RedcompressCliTest.Run zero = rebucket("other:", "--to", "0");
        assertThat(zero.code()).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void inAClusterItRefusesWhileTheConnectorMayRunAndMovesEverythingWithTheConnectorStopped() {
        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(3).start()) {
            BucketLayout old = BucketLayout.of("cl:", 4);
            cluster.set("cl:" + BucketLayout.MARKER_SUFFIX, LayoutMarker.of(4).format());
            Map<String, String> written = new TreeMap<>();
            for (int i = 0; i < 300; i++) {
                byte[] field = ("device:" + i).getBytes(StandardCharsets.UTF_8);
                cluster.commandForKey(old.bucketKey(field), "HSET".getBytes(StandardCharsets.US_ASCII), old.bucketKey(field),
                        field, ("v" + i).getBytes(StandardCharsets.UTF_8));
                written.put("device:" + i, "v" + i);
            }
            String[] common = {"rebucket", "--set", "redis.mode=cluster", "--set", "redis.uri=" + cluster.seedUris(),
                    "--set", "redis.layout=buckets", "--set", "redis.bucket.prefix=cl:", "--set", "redis.bucket.count=4",
                    "--to", "9"};

            RedcompressCliTest.Run refused = run(common);
            assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.USAGE);
            assertThat(refused.err()).contains("stop the connector, run with --connector-stopped",
                    "start it with redis.bucket.count=9");
            assertThat(cluster.getString("cl:layout")).isEqualTo(LayoutMarker.of(4).format());

            List<String> stopped = new ArrayList<>(List.of(common));
            stopped.add("--connector-stopped");
            RedcompressCliTest.Run moved = run(stopped.toArray(String[]::new));
            assertThat(moved.code()).as(moved.toString()).isZero();
            assertThat(moved.out()).doesNotContain("waiting:");
            assertThat(cluster.getString("cl:layout")).isEqualTo(LayoutMarker.of(9).format());

            BucketLayout now = BucketLayout.of("cl:", 9);
            Map<String, String> found = new TreeMap<>();
            for (int bucket = 0; bucket < 9; bucket++) {
                byte[] key = now.bucketKey(bucket);
                List<?> flat = (List<?>) cluster.commandForKey(key, "HGETALL".getBytes(StandardCharsets.US_ASCII), key);
                for (int i = 0; i < flat.size(); i += 2) {
                    String field = new String((byte[]) flat.get(i), StandardCharsets.UTF_8);
                    assertThat(now.bucketOf(field.getBytes(StandardCharsets.UTF_8))).as(field).isEqualTo(bucket);
                    assertThat(found.put(field, new String((byte[]) flat.get(i + 1), StandardCharsets.UTF_8))).isNull();
                }
            }
            assertThat(found).isEqualTo(written);
        }
    }
}
