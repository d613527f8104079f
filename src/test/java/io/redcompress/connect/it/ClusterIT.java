package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.LogCapture;
import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * Redis Cluster, 3 masters with a replica each, real processes: pipelines spanning slots and nodes, live resharding
 * while records flow, a manual failover, a master killed mid-stream, replica acknowledgement that really waits, and
 * a redirected write acknowledged only by the WAIT of the node that executed it. Every test runs on the default retry
 * and timeout settings and ends with the oracle over the whole cluster.
 */
class ClusterIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static ConnectAndRedis connect;
    private static RedisClusterProcess redis;

    @BeforeAll
    static void start() {
        connect = ConnectAndRedis.start("cluster-it", worker -> { });
        redis = RedisClusterProcess.builder().masters(3).replicasPerMaster(1).appendOnly().start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (connect != null) {
            connect.close();
        }
    }

    @AfterEach
    void deleteConnectors() {
        connect.deleteConnectors();
    }

    /**
     * The sink on the defaults of every retry and timeout setting (max.retries, retry.backoff.ms,
     * retry.backoff.max.ms, redis.command.timeout.ms, redis.connect.timeout.ms, redis.wait.timeout.ms): resharding
     * and failover must work on what an operator gets without tuning.
     */
    private Map<String, String> config(String topic) {
        Map<String, String> config = connect.faultTestConfig(topic, redis.seedUris());
        config.put("redis.mode", "cluster");
        // smaller polls than the default 500: more pipelines per chunk, so resharding and failover land mid-pipeline
        config.put("consumer.override.max.poll.records", "200");
        return config;
    }

    private static double retries(String connector) throws Exception {
        return ConnectAndRedis.taskMetric(connector, "retries-total");
    }

    private void start(String name, Map<String, String> config) throws InterruptedException {
        connect.startConnector(name, config);
    }

    private void assertOracle(StreamOracle oracle, String connector) throws Exception {
        connect.assertOracle(oracle, connector, RedisView.of(redis), false);
    }

    @Test
    void pipelinesSpanEveryMasterAndTheSummaryCountsWritesPerNode() throws Exception {
        String topic = "cluster-spread";
        connect.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 21);
        try (LogCapture logs = LogCapture.start(); KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 3000, 1000, 97);
            start(topic, config(topic));
            assertOracle(oracle, topic);
            // every master was connected at start: not one pipeline failed (e.g. "Currently not connected") on a
            // healthy cluster
            assertThat(retries(topic)).as("retries on a healthy cluster").isZero();
            connect.deleteConnectors();

            // nothing of ours in the keyspace beyond what key.template makes: no bookkeeping keys (every topic here
            // starts with "cluster-")
            assertThat(redis.keys("*")).allSatisfy(key -> assertThat(key).startsWith("cluster-"));
            Map<RedisClusterProcess.Node, Long> perMaster = redis.keysPerMaster();
            assertThat(perMaster).hasSize(3).allSatisfy((node, keys) -> assertThat(keys).as("keys on %s", node).isPositive());
            // the task's summary names every master with its count: a hot shard would show here
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String summary = logs.text().lines().filter(l -> l.contains("acknowledged writes per Redis node"))
                        .reduce((a, b) -> b).orElse("");
                for (RedisClusterProcess.Node master : redis.masters()) {
                    assertThat(summary).contains(master.host() + ":" + master.port() + "=");
                }
            });
        }
    }

    @Test
    void bucketsSpreadOverEveryMasterAndLiveReshardingLosesNoEntry() throws Exception {
        String topic = "cluster-buckets";
        String prefix = "cluster-b:"; // begins like the topics, for the keyspace check of pipelinesSpanEveryMaster...
        int expectedKeys = 3000;
        int count = io.redcompress.connect.layout.BucketLayout.bucketsFor(expectedKeys);
        connect.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 23);
        Map<String, String> config = config(topic);
        config.put("redis.layout", "buckets");
        config.put("redis.bucket.prefix", prefix);
        config.put("redis.bucket.expected.keys", Integer.toString(expectedKeys));
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1500, expectedKeys, 97);
            start(topic, config);
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));
            Thread producing = new Thread(() -> {
                try {
                    for (int i = 0; i < 6; i++) {
                        oracle.produce(producer, 500, expectedKeys, 97);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "producer-during-resharding");
            producing.start();
            RedisClusterProcess.Migration migration = redis.migrateHalfOfSlots(redis.masters().get(2), redis.masters().get(0));
            producing.join(WAIT.toMillis());
            assertThat(migration.keysMoved()).as("buckets moved while the connector wrote").isPositive();
            connect.assertOracle(oracle, topic, RedisView.inBuckets(RedisView.of(redis), prefix, count), false);
        }
        assertThat(redis.keys(topic + ":*")).as("no record has a key of its own").isEmpty();
        for (RedisClusterProcess.Node master : redis.masters()) {
            try (RespClient client = master.client()) {
                assertThat(client.keys(prefix + "*")).as("buckets on %s", master).isNotEmpty();
            }
        }
    }

    @Test
    void liveReshardingWhileRecordsFlowLosesNothing() throws Exception {
        String topic = "cluster-reshard";
        connect.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 22);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1500, 800, 0);
            start(topic, config(topic));
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));

            RedisClusterProcess.Node source = redis.masters().get(0);
            RedisClusterProcess.Node target = redis.masters().get(1);
            Thread producing = new Thread(() -> {
                try {
                    for (int i = 0; i < 6; i++) {
                        oracle.produce(producer, 500, 800, 0);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "producer-during-resharding");
            producing.start();
            RedisClusterProcess.Migration migration = redis.migrateHalfOfSlots(source, target);
            producing.join(WAIT.toMillis());
            assertThat(migration.slots()).isNotEmpty();
            assertThat(migration.keysMoved()).as("keys moved while the connector wrote").isPositive();

            assertOracle(oracle, topic);
            // MOVED and ASK are followed within the pipeline, on connections that are flushed at once: resharding
            // costs no retry (before, a redirected command waited unflushed for redis.command.timeout.ms)
            assertThat(retries(topic)).as("retries during resharding").isZero();
        }
    }

    @Test
    void aMasterKilledMidStreamLosesNoAcknowledgedWriteWithReplicaAcknowledgement() throws Exception {
        String topic = "cluster-failover";
        connect.connect.kafka().createTopic(topic, 3);
        Map<String, String> config = config(topic);
        config.put("redis.wait.replicas", "1");
        StreamOracle oracle = new StreamOracle(topic, 3, 23);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1500, 800, 0);
            start(topic, config);
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));

            RedisClusterProcess.Node victim = redis.masters().get(2);
            oracle.produce(producer, 1000, 800, 0);
            redis.killMaster(victim);
            try {
                RedisClusterProcess.Node promoted = redis.awaitFailover(victim);
                assertThat(promoted.role()).isEqualTo(RedisClusterProcess.Role.MASTER);
                oracle.produce(producer, 1000, 800, 0);
                // the promoted master has no replica yet, so WAIT 1 cannot be satisfied for its keys and nothing
                // written there is committed; the old master comes back as its replica and commits resume
            } finally {
                redis.restart(victim);
            }
            assertOracle(oracle, topic);
        }
    }

    @Test
    void replicaAcknowledgementHoldsCommitsBackWhileAReplicaIsStalled() throws Exception {
        String topic = "cluster-wait";
        connect.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = config(topic);
        config.put("redis.wait.replicas", "1");
        StreamOracle oracle = new StreamOracle(topic, 1, 24);
        List<RedisClusterProcess.Node> replicas = redis.replicas();
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 200, 100, 0);
            start(topic, config);
            connect.awaitCommitted(topic, oracle.endOffsets(), WAIT);

            // every replica stops acknowledging: writes still reach the masters, but WAIT cannot be satisfied
            replicas.forEach(replica -> replica.server().suspend());
            try {
                oracle.produce(producer, 200, 100, 0);
                Map<TopicPartition, Long> before = connect.committedOffsets(topic);
                await().atMost(WAIT).until(() -> ConnectAndRedis.taskMetric(topic, "retries-total") > 0);
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6))
                        .untilAsserted(() -> assertThat(connect.committedOffsets(topic)).isEqualTo(before));
            } finally {
                replicas.forEach(replica -> replica.server().resume());
            }
            assertOracle(oracle, topic);
        }
    }

    @Test
    void aManualFailoverCostsNoRetry() throws Exception {
        String topic = "cluster-manual-failover";
        connect.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 25);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1500, 800, 0);
            start(topic, config(topic));
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));

            RedisClusterProcess.Node promoted = redis.replicas().get(0);
            Thread producing = new Thread(() -> {
                try {
                    for (int i = 0; i < 4; i++) {
                        oracle.produce(producer, 500, 800, 0);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "producer-during-failover");
            producing.start();
            RedisClusterProcess.Node demoted = redis.manualFailover(promoted);
            producing.join(WAIT.toMillis());
            assertThat(demoted.role()).isEqualTo(RedisClusterProcess.Role.REPLICA);

            assertOracle(oracle, topic);
            // writes to the demoted master are MOVED to the promoted one, whose connection is opened and flushed at
            // once: no pipeline fails, neither with "Currently not connected" nor with a timeout
            assertThat(retries(topic)).as("retries across a manual failover").isZero();
        }
    }

    @Test
    void aWriteRedirectedToAMasterWithoutAReplicaIsNotVouchedForByTheSourcesWait() throws Exception {
        String topic = "cluster-ask-wait";
        connect.connect.kafka().createTopic(topic, 1);
        TopicPartition partition = new TopicPartition(topic, 0);
        Map<String, String> config = config(topic);
        config.put("redis.wait.replicas", "1");
        RedisClusterProcess.Node source = redis.masters().get(0);
        RedisClusterProcess.Node target = redis.masters().get(1);
        RedisClusterProcess.Node targetsReplica = redis.replicasOf(target).get(0);
        // every key in one slot of the source: a hash tag that hashes there
        List<Integer> sourceSlots = source.slots();
        String tag = IntStream.range(0, 100_000).mapToObj(i -> "t" + i)
                .filter(t -> sourceSlots.contains(RedisClusterProcess.slotOf(t))).findFirst().orElseThrow();
        int slot = RedisClusterProcess.slotOf(tag);
        int records = 20;

        // the source keeps a replica (two, now), the target has none; the slot migrates from one to the other
        redis.replicate(targetsReplica, source);
        redis.beginSlotMigration(slot, source, target);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, 0, ("{" + tag + "}:" + i).getBytes(StandardCharsets.UTF_8),
                        ("v" + i).getBytes(StandardCharsets.UTF_8))).get();
            }
            start(topic, config);

            // the source answers ASK for these new keys: the target executes the writes, and only the target's WAIT
            // can vouch for them, which no replica answers; the source's WAIT (two replicas) must not count
            await().atMost(WAIT).until(() -> redis.keysInSlot(target, slot) == records);
            assertThat(redis.keysInSlot(source, slot)).as("keys of the slot on the source").isZero();
            await().atMost(WAIT).until(() -> retries(topic) > 0);
            connect.assertNothingCommittedPast(topic, partition, 0);
        } finally {
            redis.completeSlotMigration(slot, source, target);
            redis.replicate(targetsReplica, target);
        }
        // the target has a replica again: the retried writes are confirmed and committed
        connect.awaitCommitted(topic, Map.of(partition, (long) records), WAIT);
        for (int i = 0; i < records; i++) {
            byte[] stored = redis.get(topic + ":{" + tag + "}:" + i);
            assertThat(stored).as("value of key %d", i).isNotNull();
            assertThat(ValueDecoder.decode(stored)).isEqualTo(("v" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * compression.dictionary=auto on a cluster, with redis.wait.replicas=1: the dictionary lives on one master, values on
     * all three, and a value names the dictionary only once its master and a replica acknowledged it. Every value decodes
     * through dictionaries read from the cluster by the test's own client.
     */
    @Test
    void dictionariesOnOneMasterServeValuesOnEveryMaster() throws Exception {
        String topic = "cluster-dictionary";
        String prefix = "cluster-dictionaries"; // keys of this class start with "cluster-": see the spread test
        connect.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = config(topic);
        config.put("compression.codec", "zstd");
        config.put("compression.dictionary", "auto");
        config.put("compression.dictionary.key.prefix", prefix);
        config.put("redis.wait.replicas", "1");
        start(topic, config);
        java.util.Random random = new java.util.Random(5);
        Map<String, byte[]> produced = new java.util.HashMap<>();
        long[] sequence = {0};
        java.util.function.IntConsumer produce = count -> {
            try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
                for (int i = 0; i < count; i++) {
                    long n = sequence[0]++;
                    byte[] value = io.redcompress.connect.testing.SampleData.heartbeat("device-" + n % 500, n, random);
                    produced.put(topic + ":k" + n, value);
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0,
                            ("k" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8), value));
                }
            }
        };
        String pointer = prefix + ":active:" + topic + ":" + topic;
        // a live stream: values keep coming until the task has stored a dictionary and uses it
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            produce.accept(500);
            return redis.get(pointer) != null;
        });
        long id = Long.parseLong(new String(redis.get(pointer), java.nio.charset.StandardCharsets.UTF_8));
        produce.accept(3_000);
        connect.awaitCommitted(topic, Map.of(new org.apache.kafka.common.TopicPartition(topic, 0), sequence[0]), WAIT);

        int dictionarySlot = RedisClusterProcess.slotOf(prefix + ":" + id);
        io.redcompress.connect.codec.ValueDecoder decoder = io.redcompress.connect.codec.ValueDecoder.builder()
                .dictionaries(d -> redis.get(prefix + ":" + d)).build();
        java.util.Set<RedisClusterProcess.Node> mastersNamingIt = new java.util.HashSet<>();
        for (Map.Entry<String, byte[]> entry : produced.entrySet()) {
            byte[] stored = redis.get(entry.getKey());
            assertThat(decoder.decodeValue(stored)).as(entry.getKey()).isEqualTo(entry.getValue());
            if (io.redcompress.connect.codec.ValueDecoder.header(stored).dictionaryId() == id) {
                int slot = RedisClusterProcess.slotOf(entry.getKey());
                redis.masters().stream().filter(m -> m.slots().contains(slot)).forEach(mastersNamingIt::add);
            }
        }
        RedisClusterProcess.Node dictionaryMaster = redis.masters().stream()
                .filter(m -> m.slots().contains(dictionarySlot)).findFirst().orElseThrow();
        assertThat(mastersNamingIt).as("values naming the dictionary, by master").hasSize(3).contains(dictionaryMaster);
        assertThat(retries(topic)).isZero();
    }
}
