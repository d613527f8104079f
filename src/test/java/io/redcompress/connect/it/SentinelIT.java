package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.testing.RedisSentinelProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * Sentinel: a master, replicas and three sentinels, real processes. The master changes mid-stream (a planned
 * failover, and a kill); the connector finds the new master through the sentinels and the oracle passes.
 */
class SentinelIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static ConnectAndRedis connect;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void start() {
        connect = ConnectAndRedis.start("sentinel-it", worker -> { });
    }

    @AfterAll
    static void stop() {
        if (connect != null) {
            connect.close();
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        connect.deleteConnectors();
        for (AutoCloseable closeable : closeAfter) {
            closeable.close();
        }
    }

    private RedisSentinelProcess sentinels(int replicas) {
        RedisSentinelProcess redis = RedisSentinelProcess.builder().replicas(replicas).start();
        closeAfter.add(0, redis);
        return redis;
    }

    private Map<String, String> config(String topic, RedisSentinelProcess redis) {
        Map<String, String> config = connect.faultTestConfig(topic, redis.sentinelUri());
        config.put("redis.mode", "sentinel");
        // smaller polls than the default 500: more pipelines per chunk, so the failover lands mid-pipeline
        config.put("consumer.override.max.poll.records", "200");
        return config;
    }

    private void assertOracle(StreamOracle oracle, String connector, RedisSentinelProcess redis) throws Exception {
        connect.awaitCommitted(connector, oracle.endOffsets(), WAIT);
        try (RespClient master = redis.masterClient()) {
            connect.assertOracle(oracle, connector, RedisView.of(master), false);
        }
    }

    @Test
    void aPlannedFailoverMidStreamIsFollowed() throws Exception {
        RedisSentinelProcess redis = sentinels(1);
        String topic = "sentinel-failover";
        connect.connect.kafka().createTopic(topic, 2);
        StreamOracle oracle = new StreamOracle(topic, 2, 31);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1000, 400, 97);
            connect.startConnector(topic, config(topic, redis));
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));

            RedisSentinelProcess.Address before = redis.currentMaster();
            oracle.produce(producer, 1000, 400, 97);
            RedisSentinelProcess.Address after = redis.failover();
            assertThat(after).isNotEqualTo(before);
            oracle.produce(producer, 1000, 400, 97);

            assertOracle(oracle, topic, redis);
        }
    }

    @Test
    void bucketsFollowAPlannedFailoverWithReplicaAcknowledgement() throws Exception {
        RedisSentinelProcess redis = sentinels(1);
        String topic = "sentinel-buckets";
        String prefix = "sb:";
        int count = io.redcompress.connect.layout.BucketLayout.bucketsFor(400);
        connect.connect.kafka().createTopic(topic, 2);
        StreamOracle oracle = new StreamOracle(topic, 2, 32);
        Map<String, String> config = config(topic, redis);
        config.put("redis.layout", "buckets");
        config.put("redis.bucket.prefix", prefix);
        config.put("redis.bucket.count", Integer.toString(count));
        config.put("redis.wait.replicas", "1");
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1000, 400, 97);
            connect.startConnector(topic, config);
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));
            RedisSentinelProcess.Address before = redis.currentMaster();
            oracle.produce(producer, 1000, 400, 97);
            assertThat(redis.failover()).isNotEqualTo(before);
            oracle.produce(producer, 1000, 400, 97);
            connect.awaitCommitted(topic, oracle.endOffsets(), WAIT);
            try (RespClient master = redis.masterClient()) {
                connect.assertOracle(oracle, topic, RedisView.inBuckets(RedisView.of(master), prefix, count), false);
                assertThat(master.getString(prefix + "layout")).contains("count=" + count);
            }
        }
    }

    @Test
    void aKilledMasterLosesNoAcknowledgedWriteWithReplicaAcknowledgement() throws Exception {
        // two replicas: after the kill one is promoted and the other follows it, so WAIT 1 can be satisfied again
        RedisSentinelProcess redis = sentinels(2);
        String topic = "sentinel-kill";
        connect.connect.kafka().createTopic(topic, 2);
        Map<String, String> config = config(topic, redis);
        config.put("redis.wait.replicas", "1");
        StreamOracle oracle = new StreamOracle(topic, 2, 32);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            oracle.produce(producer, 1000, 400, 0);
            connect.startConnector(topic, config);
            await().atMost(WAIT).until(() -> connect.committedOffsets(topic).values().stream().anyMatch(o -> o > 0));

            oracle.produce(producer, 1000, 400, 0);
            RedisSentinelProcess.Address killed = redis.currentMaster();
            RedisSentinelProcess.Address promoted = redis.killMaster();
            assertThat(promoted).isNotEqualTo(killed);
            oracle.produce(producer, 1000, 400, 0);

            assertOracle(oracle, topic, redis);
        }
    }
}
