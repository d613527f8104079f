package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.TestPayloads;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.testing.BucketedKeyspace;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** {@code inspect} and {@code stats} with redis.layout=buckets, on a real redis-server. */
class BucketLayoutCliTest {

    private static final int COUNT = 4;
    private static final int ENTRIES = 200;

    private static RedisServerProcess redis;
    private static RespClient client;

    @BeforeAll
    static void fillBuckets() {
        redis = RedisServerProcess.builder().start();
        client = redis.client();
        BucketedKeyspace buckets = new BucketedKeyspace(client, "b:");
        buckets.writeMarker(LayoutMarker.of(COUNT));
        ValueEncoder lz4 = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(0).build();
        for (int i = 0; i < ENTRIES; i++) {
            buckets.set(COUNT, "device:" + i, lz4.encode(("{\"device\":" + i + ",\"temp\":21.5}").getBytes(StandardCharsets.UTF_8)));
        }
        // values this small do not shrink: stored uncompressed (codec none), in the format; one long value takes its
        // bucket past hash-max-listpack-value
        buckets.set(COUNT, "long", lz4.encode(TestPayloads.json1500()));
        client.set("b:layout-notes", "not a bucket");
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

    private static RedcompressCliTest.Run runOnBuckets(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--set", "redis.uri=" + redis.uri(), "--set", "redis.layout=buckets", "--set",
                "redis.bucket.prefix=b:", "--set", "redis.bucket.count=" + COUNT));
        return RedcompressCliTest.run(all.toArray(String[]::new));
    }

    @Test
    void inspectTakesTheLogicalKeyAndShowsItsBucketThenTheValue() {
        String bucket = new String(BucketLayout.of("b:", COUNT).bucketKey("device:7".getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);

        RedcompressCliTest.Run run = runOnBuckets("inspect", "device:7");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("key:           device:7 (logical key", "bucket:        " + bucket + " (bucket "
                + bucket.substring(2) + " of 4)", "codec:         none", "preview:       {\"device\":7,", "result:        decodes");
        assertThat(run.out()).containsPattern("bucket holds:  [0-9]+ entries \\(encoding (listpack|hashtable)\\), memory usage [0-9,]+ bytes");

        RedcompressCliTest.Run missing = runOnBuckets("inspect", "device:none");
        assertThat(missing.code()).isEqualTo(ExitCode.FINDING);
        assertThat(missing.out()).contains("result:        no such entry");
    }

    @Test
    void statsCountsBucketsEntriesListpacksAndReportsSampledValues() {
        RedcompressCliTest.Run run = runOnBuckets("stats", "--sample", "50");

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("buckets:               4 under b:<n>", "entries:               201 (avg 50 per bucket",
                "listpack buckets:      3 (75.0%)", "sampled entries:       50 (at most 50)", "none ");
        assertThat(run.out()).containsPattern("memory usage per entry: [0-9.,]+ bytes");

        RedcompressCliTest.Run matching = runOnBuckets("stats", "device:1*");
        assertThat(matching.out()).contains("sampled entries:       111 (at most 10,000, fields matching device:1*)");
    }

    @Test
    void statsWithoutAPatternNeedsTheBucketedLayout() {
        RedcompressCliTest.Run run = RedcompressCliTest.run("stats", "--set", "redis.uri=" + redis.uri());
        assertThat(run.code()).isEqualTo(ExitCode.USAGE);
        assertThat(run.err()).contains("stats needs a PATTERN");
    }
}
