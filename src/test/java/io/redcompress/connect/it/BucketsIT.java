package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.cli.RedcompressCli;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.testing.RespClient;

/**
 * redis.layout=buckets end to end: real broker, real worker, real redis-server. The oracle reads through the layout
 * with a bucket function of its own ({@link RedisView#inBuckets}).
 */
class BucketsIT {

    private static ConnectAndRedis cluster;
    private static RespClient redis;

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("buckets-it", worker -> { });
        redis = cluster.redisClient;
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void deleteConnectors() {
        cluster.deleteConnectors();
    }

    private static Map<String, String> bucketed(Map<String, String> config, String prefix, String countKey, String count) {
        config.put("redis.layout", "buckets");
        config.put("redis.bucket.prefix", prefix);
        config.put(countKey, count);
        return config;
    }

    @Test
    void everyRecordLandsInItsBucketTombstonesDeleteFieldsAndNothingElseIsWritten() throws Exception {
        String topic = "bucket-oracle";
        String prefix = "bo:b:";
        cluster.connect.kafka().createTopic(topic, 2);
        StreamOracle oracle = new StreamOracle(topic, 2, 7);
        int expectedKeys = 1000;
        int count = BucketLayout.bucketsFor(expectedKeys); // 11, from redis.bucket.expected.keys
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 4000, expectedKeys, 101);
            Map<String, String> config = bucketed(cluster.faultTestConfig(topic, cluster.redis.uri()), prefix,
                    "redis.bucket.expected.keys", Integer.toString(expectedKeys));
            cluster.startConnector(topic, config);
            cluster.assertOracle(oracle, topic, RedisView.inBuckets(RedisView.of(redis), prefix, count), false);
            // values of up to 1 KB, against Redis's default hash-max-listpack-value of 64
            assertThat(ConnectAndRedis.taskMetric(topic, "bucket-entries-over-listpack-value-total")).isPositive();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(ConnectAndRedis.taskMetric(topic, "buckets-listpack-ratio")).isZero());
        }
        assertThat(redis.getString(prefix + "layout"))
                .isEqualTo("layout=buckets version=1 hash=crc32-ieee count=" + count + " field=logical-key");
        // no record has a key of its own: only the buckets and the marker
        assertThat(redis.keys(topic + ":*")).isEmpty();
        assertThat(redis.keys(prefix + "*")).hasSize(count + 1);
        for (int b = 0; b < count; b++) {
            assertThat(redis.type(prefix + b)).as("bucket %d", b).isEqualTo("hash");
        }
    }

    /**
     * The operator's procedure of docs/bucketed-layout.md against a live stream: rebucket begins, the task still on
     * the old count stops itself at its next marker check, the connector is reconfigured with the new count (its task
     * deletes tombstones from the old bucket too), and entries move while records keep coming.
     */
    @Test
    void reBucketingALiveKeyspaceWithTheConnectorRunningLosesNoEntryAndDuplicatesNone() throws Exception {
        String topic = "bucket-rebucket";
        String prefix = "br:";
        cluster.connect.kafka().createTopic(topic, 2);
        StreamOracle oracle = new StreamOracle(topic, 2, 11);
        Map<String, String> config = bucketed(cluster.faultTestConfig(topic, cluster.redis.uri()), prefix,
                "redis.bucket.count", "4");
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            // keys k0..k2999 at first; while entries move, only k0..k299 are written again (values and tombstones),
            // so most entries are moved by the tool and some meet a newer write or a tombstone of the connector
            oracle.produce(producer, 6000, 3000, 0);
            cluster.startConnector(topic, config);
            cluster.awaitCommitted(topic, oracle.endOffsets(), Duration.ofSeconds(60));

            java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread producer1 = new Thread(() -> {
                try {
                    while (producing.get()) {
                        oracle.produce(producer, 50, 300, 0);
                        Thread.sleep(100);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "producer-during-rebucket");
            producer1.start();
            // the command-line tool as an operator runs it, with the connector's settings: the default grace of 20 s
            // (a task sends nothing by a marker read longer ago) + redis.command.timeout.ms (its last pipeline)
            java.io.ByteArrayOutputStream toolOut = new java.io.ByteArrayOutputStream();
            java.util.concurrent.CompletableFuture<Integer> rebucketing = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> RedcompressCli.run(new String[] {"rebucket", "--to", "16", "--set", "redis.uri=" + cluster.redis.uri(),
                            "--set", "redis.layout=buckets", "--set", "redis.bucket.prefix=" + prefix, "--set",
                            "redis.bucket.count=4"}, new java.io.PrintStream(toolOut, true, StandardCharsets.UTF_8), System.err));
            try {
                String trace = cluster.awaitTaskFailed(topic, "the task on 4 buckets stops once the re-bucketing began");
                assertThat(trace).contains("re-bucketed from 4 to 16", "redis.bucket.count=16");
                assertThat(toolOut.toString(StandardCharsets.UTF_8)).contains("now:                  set redis.bucket.count=16");
                config.put("redis.bucket.count", "16");
                cluster.configureConnector(topic, config);
                cluster.connect.restartConnectorAndTasks(topic, true, true, false); // if the new config did not restart it
                assertThat(rebucketing.get(150, java.util.concurrent.TimeUnit.SECONDS)).as(toolOut.toString(StandardCharsets.UTF_8))
                        .isZero();
                assertThat(toolOut.toString(StandardCharsets.UTF_8)).contains("waiting:", "done:").containsPattern(
                        "entries moved: +[1-9],[0-9]{3}");
            } finally {
                producing.set(false);
                producer1.join(30_000);
            }
            oracle.produce(producer, 300, 3000, 0); // after the re-bucketing, by the new count alone
            RedisView view = RedisView.inBuckets(RedisView.of(redis), prefix, 16);
            cluster.assertOracle(oracle, topic, view, false);
            List<String> fields = view.keys(topic + ":*");
            assertThat(fields).as("no entry in two buckets").doesNotHaveDuplicates();
        }
        assertThat(redis.getString(prefix + "layout")).isEqualTo(
                "layout=buckets version=1 hash=crc32-ieee count=16 field=logical-key");
        assertThat(redis.exists(prefix + "rebucket")).isFalse();
    }

    @Test
    void bucketsOfSmallValuesStayListpackEncoded() throws Exception {
        String topic = "bucket-small";
        String prefix = "bs:";
        int keys = 600;
        int count = BucketLayout.bucketsFor(keys);
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, byte[]> last = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < 3 * keys; i++) {
                String key = "sensor-" + (i % keys);
                byte[] value = ("{\"t\":" + (1_700_000_000L + i) + ",\"b\":" + i % 100 + "}").getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
                last.put(topic + ":" + key, value);
            }
            producer.flush();
        }
        Map<String, String> config = bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", Integer.toString(count));
        cluster.startConnector(topic, config);
        RedisView view = RedisView.inBuckets(RedisView.of(redis), prefix, count);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(view.keys(topic + ":*")).hasSize(keys));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> last.forEach((key, value) ->
                assertThat(ValueDecoder.decode(view.get(key))).as(key).isEqualTo(value)));
        assertThat(bucketsNotListpacks(prefix, count)).isEmpty();
        assertThat(ConnectAndRedis.taskMetric(topic, "bucket-entries-over-listpack-value-total")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(ConnectAndRedis.taskMetric(topic, "buckets-listpack-ratio")).isEqualTo(1.0));
    }

    /** Each bucket Redis does not keep as a listpack, with its encoding (OBJECT ENCODING). */
    private static List<String> bucketsNotListpacks(String prefix, int count) {
        List<String> others = new java.util.ArrayList<>();
        for (int b = 0; b < count; b++) {
            String encoding = new String((byte[]) redis.command("OBJECT", "ENCODING", prefix + b), StandardCharsets.UTF_8);
            // "ziplist" on Redis 6.2, the fallback server of a machine without redis-server on PATH
            if (!encoding.equals("listpack") && !encoding.equals("ziplist")) {
                others.add(prefix + b + " " + encoding);
            }
        }
        return others;
    }

    /** A connector on a new topic with one record, running once its task has stored the layout. */
    private void startWritingOneRecord(String topic, String prefix, int count) throws InterruptedException {
        cluster.connect.kafka().createTopic(topic, 1);
        cluster.connect.kafka().produce(topic, 0, "a", "1");
        cluster.startConnector(topic, bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", Integer.toString(count)));
        await().atMost(Duration.ofSeconds(30)).until(() -> redis.exists(prefix + "layout"));
    }

    @Test
    void aConfigurationWithAnotherBucketCountIsRefused() throws Exception {
        String topic = "bucket-count";
        String prefix = "bc:";
        startWritingOneRecord(topic, prefix, 10);
        cluster.deleteConnectors();

        Map<String, String> other = bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", "20");
        ConfigInfos validation = cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, other);
        List<String> errors = errorsOf(validation, "redis.bucket.count");
        assertThat(errors).singleElement().asString().contains("count=10", "redis.bucket.count=20", "rebucket --to 20");
        // the worker validates a connector's configuration before it creates it (the task's own refusal, in the same
        // words, is tested in BucketLayoutGuardTest)
        assertThatThrownBy(() -> cluster.configureConnector(topic + "-20", other)).hasMessageContaining("count=10");
        assertThat(redis.getString(prefix + "layout")).contains("count=10");
    }

    @Test
    void aRunningTaskStopsWhenTheStoredLayoutNoLongerAgrees() throws Exception {
        String topic = "bucket-changed";
        String prefix = "bx:";
        startWritingOneRecord(topic, prefix, 4);
        // what another connector or a re-bucketing to 8 with this one still on 4 would leave
        redis.set(prefix + "layout", "layout=buckets version=1 hash=crc32-ieee count=8 field=logical-key previous=4 since=1");
        cluster.connect.kafka().produce(topic, 0, "b", "2");
        String trace = cluster.awaitTaskFailed(topic, "the layout changed under a running task");
        assertThat(trace).contains("re-bucketed from 4 to 8", "redis.bucket.count=8");
    }

    @Test
    void ttlWithBucketsNeedsRedis74() throws Exception {
        String version = redis.infoMap("server").get("redis_version");
        boolean fieldExpiry = Integer.parseInt(version.split("\\.")[0]) > 7
                || version.startsWith("7.") && Integer.parseInt(version.split("\\.")[1]) >= 4;
        String topic = "bucket-ttl";
        String prefix = "bt:";
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", "3");
        config.put("ttl.ms", "60000");
        if (!fieldExpiry) {
            ConfigInfos validation = cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config);
            assertThat(errorsOf(validation, "ttl.ms")).singleElement().asString()
                    .contains("Redis has from 7.4 on", "is " + version, "ttl.ms=0");
            assertThatThrownBy(() -> cluster.configureConnector(topic, config)).hasMessageContaining("HPEXPIRE");
            return;
        }
        cluster.connect.kafka().produce(topic, 0, "a", "1");
        cluster.startConnector(topic, config);
        String bucket = prefix + BucketLayout.of(prefix, 3).bucketOf((topic + ":a").getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat((List<?>) redis.command("HPTTL", bucket,
                "FIELDS", "1", topic + ":a")).singleElement().satisfies(ttl -> assertThat((Long) ttl).isBetween(1L, 60_000L)));
    }

    @Test
    void dictionaryCompressedHeartbeatsLiveInBucketsAndDecodeWithTheirDictionary() throws Exception {
        String topic = "bucket-dict";
        String prefix = "bd:";
        int keys = 400;
        int count = BucketLayout.bucketsFor(keys);
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", Integer.toString(count));
        config.put("compression.codec", "zstd");
        config.put("compression.dictionary", "auto");
        cluster.startConnector(topic, config);
        RedisView view = RedisView.inBuckets(RedisView.of(redis), prefix, count);
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(id -> redis.get("redcompress:dict:" + id)).build();
        Map<String, byte[]> last = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            // a live stream: heartbeats go on until values are written with the dictionary trained on the first ones
            int sent = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            do {
                for (int i = 0; i < keys; i++, sent++) {
                    String key = "sensor-" + String.format("%04d", i);
                    byte[] value = String.format("{\"deviceId\":\"%s\",\"ts\":%d,\"battery\":%d,\"rssi\":-%d,"
                            + "\"status\":\"OK\",\"fw\":\"2.4.1\",\"temp\":21.%d}", key, 1_700_000_000_000L + sent,
                            sent % 100, 40 + sent % 50, sent % 10).getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
                    last.put(topic + ":" + key, value);
                }
                producer.flush();
                Thread.sleep(200);
            } while (System.nanoTime() < deadline && ConnectAndRedis.taskMetric(topic, "values-with-dictionary-total") < keys);
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> last.forEach((key, value) ->
                assertThat(decoder.decodeValue(view.get(key))).as(key).isEqualTo(value)));
        long withDictionary = last.keySet().stream().filter(key -> ValueDecoder.header(view.get(key)).dictionaryId() != 0).count();
        assertThat(withDictionary).as("entries written with the dictionary").isPositive();
    }

    /**
     * The first heartbeats of a topic wait for the dictionary trained on them, so that none is written without it: such
     * a value is too long for a listpack and turns its bucket into a hash table for good. With
     * compression.dictionary.hold.max.ms=0 on the same data this test fails: hash tables, and values without the
     * dictionary.
     */
    @Test
    void heldForTheirDictionaryTheFirstHeartbeatsLeaveEveryBucketAListpackAndEveryValueNamesIt() throws Exception {
        String topic = "bucket-hold";
        String prefix = "bh:";
        int keys = 1500;
        int count = BucketLayout.bucketsFor(keys);
        cluster.connect.kafka().createTopic(topic, 2);
        // the value limit docs/bucketed-layout.md (Sizing) asks for with dictionaries: at Redis's default of 64 B, 0.1%
        // of the dictionary-compressed heartbeats would turn their buckets into hash tables, hold or no hold
        String listpackValue = redis.configGet("hash-max-listpack-value");
        redis.configSet("hash-max-listpack-value", "128");
        try {
            Map<String, byte[]> last = new HashMap<>();
            java.util.Random random = new java.util.Random(17);
            try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                for (int i = 0; i < 2 * keys; i++) { // every key twice, ~240 B of JSON each
                    String key = String.format("sensor-%04d", i % keys);
                    byte[] value = io.redcompress.connect.testing.SampleData.heartbeat(key, i, random);
                    producer.send(new ProducerRecord<>(topic, i % keys % 2, key.getBytes(StandardCharsets.UTF_8), value));
                    last.put(topic + ":" + key, value);
                }
                producer.flush();
            }
            Map<String, String> config = bucketed(cluster.sinkConfig(topic), prefix, "redis.bucket.count", Integer.toString(count));
            config.put("compression.codec", "zstd");
            config.put("compression.dictionary", "auto");
            config.put("compression.dictionary.samples", "200");
            cluster.startConnector(topic, config);
            cluster.awaitCommitted(topic, Map.of(new org.apache.kafka.common.TopicPartition(topic, 0), (long) keys,
                    new org.apache.kafka.common.TopicPartition(topic, 1), (long) keys), Duration.ofSeconds(90));

            assertThat(bucketsNotListpacks(prefix, count)).as("of %d buckets", count).isEmpty();
            RedisView view = RedisView.inBuckets(RedisView.of(redis), prefix, count);
            ValueDecoder decoder = ValueDecoder.builder().dictionaries(id -> redis.get("redcompress:dict:" + id)).build();
            assertThat(view.keys(topic + ":*")).hasSize(keys);
            last.forEach((key, value) -> {
                byte[] stored = view.get(key);
                assertThat(ValueDecoder.header(stored).dictionaryId()).as("the dictionary named by %s", key).isNotZero();
                assertThat(decoder.decodeValue(stored)).as(key).isEqualTo(value);
            });
            assertThat(ConnectAndRedis.taskMetric(topic, "records-released-without-dictionary-total")).isZero();
            assertThat(ConnectAndRedis.taskMetric(topic, "records-held-for-dictionary")).isZero();
        } finally {
            redis.configSet("hash-max-listpack-value", listpackValue);
        }
    }

    @Test
    void anAclUserWhoMayNotWriteTheBucketPrefixIsRefusedNamingThePrefix() throws Exception {
        redis.command("ACL", "SETUSER", "bucketeer", "on", ">pw", "~devices:*", "+@all");
        String topic = "bucket-acl";
        Map<String, String> config = bucketed(cluster.sinkConfig(topic), "other:b:", "redis.bucket.count", "5");
        config.put("redis.username", "bucketeer");
        config.put("redis.password", "pw");
        ConfigInfos validation = cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config);
        assertThat(errorsOf(validation, "redis.bucket.prefix")).singleElement().asString()
                .contains("may not write the bucket keys", "other:b:*", "[devices:*]", "ACL SETUSER bucketeer ~other:b:*");
        config.put("redis.bucket.prefix", "devices:b:");
        assertThat(errorsOf(cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config),
                "redis.bucket.prefix")).isEmpty();
    }

    private static List<String> errorsOf(ConfigInfos validation, String key) {
        return validation.configs().stream().map(ConfigInfo::configValue).filter(v -> v.name().equals(key))
                .flatMap(v -> v.errors().stream()).toList();
    }
}
