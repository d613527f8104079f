package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * Redis misbehaves while records flow: killed, gone for longer than the retry budget, out of memory, too slow,
 * refusing some keys. Each test starts its own redis-server, breaks it, and ends with the oracle: Redis holds exactly
 * what the records say, the dead-letter topic exactly the undecodable records, and no offset was committed that
 * Redis did not acknowledge.
 */
class RedisFaultsIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static ConnectAndRedis cluster;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("redis-faults-it", worker -> { });
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        cluster.deleteConnectors();
        for (AutoCloseable closeable : closeAfter) {
            closeable.close();
        }
    }

    private RedisServerProcess redis(RedisServerProcess.Builder builder) {
        RedisServerProcess redis = builder.start();
        closeAfter.add(0, redis);
        return redis;
    }

    private RespClient client(RedisServerProcess redis) {
        RespClient client = redis.client();
        closeAfter.add(0, client);
        return client;
    }

    /** A sink with a dead-letter topic, on default settings, writing to the given Redis. */
    private Map<String, String> config(String topic, RedisServerProcess redis) {
        return cluster.faultTestConfig(topic, redis.uri());
    }

    /** A topic, and a sink writing as an ACL user that may write only the topic's "allowed-*" keys. */
    private Map<String, String> aclRestrictedConfig(String topic, RedisServerProcess redis, RespClient admin) {
        admin.command("ACL", "SETUSER", "sensor-writer", "on", ">writer-secret", "~" + topic + ":allowed-*", "+@all");
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = config(topic, redis);
        config.put("redis.username", "sensor-writer");
        config.put("redis.password", "writer-secret");
        return config;
    }

    /** A record with a text key and value to partition 0 of the topic. */
    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, String value) {
        producer.send(new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
    }

    private void start(String name, Map<String, String> config) throws InterruptedException {
        cluster.startConnector(name, config);
    }

    private void assertTasksRunning(String connector) {
        ConnectorStateInfo status = cluster.connect.connectorStatus(connector);
        assertThat(status.tasks()).isNotEmpty().allSatisfy(t -> assertThat(t.state()).as(t.trace()).isEqualTo("RUNNING"));
    }

    private void assertOracle(StreamOracle oracle, String connector, RespClient redis, boolean dlqDuplicatesAllowed) throws Exception {
        cluster.assertOracle(oracle, connector, RedisView.of(redis), dlqDuplicatesAllowed);
    }

    private void awaitSomeProgress(String connector) {
        await().atMost(WAIT).until(() -> cluster.committedOffsets(connector).values().stream().anyMatch(o -> o > 0));
    }

    @Test
    void redisKilledMidStreamAndRestartedWithItsAppendOnlyFile() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder().appendOnly());
        String topic = "killed";
        cluster.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 1);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 1500, 400, 101);
            start(topic, config(topic, redis));
            awaitSomeProgress(topic);

            redis.kill(); // SIGKILL: what was fsynced to the AOF survives, nothing else
            oracle.produce(producer, 1500, 400, 101);
            // down for a few seconds: the task keeps retrying and does not fail while retries remain
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertTasksRunning(topic));
            Map<TopicPartition, Long> committedWhileDown = cluster.committedOffsets(topic);
            redis.restart();

            oracle.produce(producer, 500, 400, 101);
            RespClient client = client(redis);
            oracle.assertCommittedOffsetsWereAcknowledged(committedWhileDown, client);
            assertOracle(oracle, topic, client, false);
            assertTasksRunning(topic);
            assertThat(ConnectAndRedis.taskMetric(topic, "retries-total")).as("pipelines retried while Redis was down").isPositive();
        }
    }

    @Test
    void redisGoneLongerThanTheRetryBudgetFailsTheTaskClearlyAndARestartResumes() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder().appendOnly());
        String topic = "gone";
        cluster.connect.kafka().createTopic(topic, 2);
        Map<String, String> config = config(topic, redis);
        config.put("max.retries", "3"); // the budget this test runs out of: 3 retries take seconds, the default minutes
        StreamOracle oracle = new StreamOracle(topic, 2, 2);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 800, 200, 0);
            start(topic, config);
            awaitSomeProgress(topic);

            redis.stop();
            oracle.produce(producer, 800, 200, 0);
            String trace = cluster.awaitTaskFailed(topic, "the task did not fail when retries ran out");
            assertThat(trace)
                    .contains("Writing to Redis at 127.0.0.1:" + redis.port())
                    .containsPattern("failed for partition gone-[01] at offset \\d+ after 3 retries")
                    .contains("Nothing from that offset on is committed")
                    .contains("max.retries").contains("retry.backoff.max.ms");

            redis.start();
            RespClient client = client(redis);
            oracle.assertCommittedOffsetsWereAcknowledged(cluster.committedOffsets(topic), client);
            cluster.connect.restartConnectorAndTasks(topic, true, true, false);
            assertOracle(oracle, topic, client, false);
        }
    }

    @Test
    void outOfMemoryRepliesAreRetriedNeverCommittedNeverDeadLettered() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder().maxMemory("1", "noeviction"));
        RespClient client = client(redis);
        String topic = "oom";
        cluster.connect.kafka().createTopic(topic, 2);
        StreamOracle oracle = new StreamOracle(topic, 2, 3);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 300, 100, 0);
            start(topic, config(topic, redis));

            await().atMost(WAIT).until(() -> client.infoMap("errorstats").containsKey("errorstat_OOM"));
            // for as long as Redis answers OOM: nothing committed, nothing written, the task retrying
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<TopicPartition, Long> firstSets = oracle.firstSetOffsets();
                assertThat(cluster.committedOffsets(topic)).allSatisfy((tp, offset) -> assertThat(offset)
                        .as("committed offset of %s, whose first SET is at %d", tp, firstSets.get(tp))
                        .isLessThanOrEqualTo(firstSets.get(tp)));
                assertThat(client.keys(topic + ":*")).isEmpty();
                assertTasksRunning(topic);
            });
            client.configSet("maxmemory", "0");

            oracle.produce(producer, 300, 100, 0);
            assertOracle(oracle, topic, client, false);
            ConsumerRecords<byte[], byte[]> dead = cluster.connect.kafka().consumeAll(10_000, topic + ".dlq");
            assertThat(dead.count()).as("OOM is transient: nothing goes to the dead-letter topic").isZero();
        }
    }

    @Test
    void aRedisSlowerThanTheCommandTimeoutIsRetriedWithoutDuplicateEffects() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder());
        RespClient client = client(redis);
        String topic = "slow";
        cluster.connect.kafka().createTopic(topic, 3);
        StreamOracle oracle = new StreamOracle(topic, 3, 4);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 1000, 300, 89);
            Map<String, String> config = config(topic, redis);
            // the fault under test is a Redis slower than the command timeout: 1 s, so a 3 s pause exceeds it
            config.put("redis.command.timeout.ms", "1000");
            start(topic, config);
            awaitSomeProgress(topic);

            // every client but this one is paused for 3 s, three times the connector's command timeout
            client.command("CLIENT", "PAUSE", "3000", "WRITE");
            oracle.produce(producer, 1000, 300, 89);
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertTasksRunning(topic));

            oracle.produce(producer, 500, 300, 89);
            assertOracle(oracle, topic, client, false);
            assertThat(ConnectAndRedis.taskMetric(topic, "retries-total")).as("pipelines retried after timing out").isPositive();
        }
    }

    @Test
    void aWriteRedisRefusesForThatKeyGoesToTheDeadLetterTopicWithRedisReply() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder());
        RespClient admin = client(redis);
        String topic = "acl";
        Map<String, String> config = aclRestrictedConfig(topic, redis, admin);

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < 10; i++) {
                String key = (i % 3 == 1 ? "forbidden-" : "allowed-") + i;
                send(producer, topic, key, "{\"i\":" + i + "}");
            }
        }
        start(topic, config);
        cluster.awaitCommitted(topic, Map.of(new TopicPartition(topic, 0), 10L), WAIT);

        for (int i = 0; i < 10; i++) {
            byte[] stored = admin.get(topic + ":" + (i % 3 == 1 ? "forbidden-" : "allowed-") + i);
            if (i % 3 == 1) {
                assertThat(stored).as("forbidden-%d", i).isNull();
            } else {
                assertThat(new String(ValueDecoder.decode(stored), StandardCharsets.UTF_8)).isEqualTo("{\"i\":" + i + "}");
            }
        }
        ConsumerRecords<byte[], byte[]> dead = cluster.connect.kafka().consume(3, WAIT.toMillis(), topic + ".dlq");
        List<String> offsets = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            offsets.add(ConnectAndRedis.header(record, "__connect.errors.offset"));
            assertThat(ConnectAndRedis.header(record, "__connect.errors.exception.message"))
                    .contains("was refused by Redis").contains("NOPERM");
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).startsWith("forbidden-");
        }
        assertThat(offsets).containsExactlyInAnyOrder("1", "4", "7");
        assertTasksRunning(topic);
    }

    @Test
    void aRefusedWriteFailsTheTaskWhenConfiguredSoAndIsNotCommitted() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder());
        RespClient admin = client(redis);
        String topic = "acl-fail";
        Map<String, String> config = aclRestrictedConfig(topic, redis, admin);
        config.put("behavior.on.rejected.writes", "fail");
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (String key : List.of("allowed-0", "allowed-1", "forbidden-2", "allowed-3")) {
                send(producer, topic, key, "{}");
            }
        }
        cluster.configureConnector(topic, config);
        assertThat(cluster.awaitTaskFailed(topic, "the task did not fail on NOPERM"))
                .contains("Redis refused the write of record topic=acl-fail partition=0 offset=2")
                .contains("NOPERM").contains("behavior.on.rejected.writes=fail");
        cluster.assertNothingCommittedPast(topic, new TopicPartition(topic, 0), 2);
        // the writes before it were acknowledged; allowed-3 may be in Redis too (it was in the same pipeline), but
        // its offset is not committed, so a restart writes it again: SET is idempotent
        assertThat(admin.get(topic + ":allowed-0")).isNotNull();
        assertThat(admin.get(topic + ":allowed-1")).isNotNull();
    }

    @Test
    void aCommandTheUserMayNoLongerRunFailsTheTaskNamingTheSettingAndDeadLettersNothing() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder());
        RespClient admin = client(redis);
        String topic = "acl-revoked";
        Map<String, String> config = aclRestrictedConfig(topic, redis, admin);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < 5; i++) {
                send(producer, topic, "allowed-" + i, "{}");
            }
            producer.flush();
            start(topic, config);
            cluster.awaitCommitted(topic, Map.of(new TopicPartition(topic, 0), 5L), WAIT);

            // an operator tightens the ACL while the connector runs: every SET and MSET is now refused, whatever its key
            // (runs of SETs go as MSETs; a refused MSET is retried as SETs, whose refusal names the setting)
            admin.command("ACL", "SETUSER", "sensor-writer", "-set", "-mset");
            for (int i = 5; i < 10; i++) {
                send(producer, topic, "allowed-" + i, "{}");
            }
        }
        assertThat(cluster.awaitTaskFailed(topic, "the task did not fail on a command the user may not run"))
                .contains("offset=5").contains("NOPERM").contains("permissions to run the 'set' command")
                .contains("redis.username").contains("concerns a setting, not the record");
        cluster.assertNothingCommittedPast(topic, new TopicPartition(topic, 0), 5);
        assertThat(cluster.connect.kafka().consumeAll(5_000, topic + ".dlq").count())
                .as("a setting is not a bad record: nothing is dead-lettered").isZero();
    }

    @Test
    void aKeyTemplateTheUserMayWriteNoKeyOfIsRefusedWhenTheConnectorIsCreated() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder());
        RespClient admin = client(redis);
        String topic = "acl-template";
        Map<String, String> config = aclRestrictedConfig(topic, redis, admin);
        config.put("key.template", "other:${key}");

        org.apache.kafka.connect.runtime.rest.entities.ConfigInfos validation =
                cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config);
        assertThat(validation.configs()).filteredOn(c -> !c.configValue().errors().isEmpty())
                .extracting(c -> c.configKey().name()).containsExactlyInAnyOrder("name", "key.template"); // validate wants a name too
        assertThat(validation.configs()).filteredOn(c -> c.configKey().name().equals("key.template")).singleElement()
                .satisfies(c -> assertThat(c.configValue().errors()).singleElement().asString()
                        .contains("'sensor-writer' may not write any key").contains("other:*"));
        assertThatThrownBy(() -> cluster.configureConnector(topic, config))
                .hasMessageContaining("key.template").hasMessageContaining("may not write any key");
    }

    @Test
    void aRebalanceWhilePartitionsBackOffNeitherLosesNorStallsThem() throws Exception {
        RedisServerProcess redis = redis(RedisServerProcess.builder().maxMemory("1", "noeviction"));
        RespClient client = client(redis);
        String topic = "rebalance-backoff";
        cluster.connect.kafka().createTopic(topic, 4);
        StreamOracle oracle = new StreamOracle(topic, 4, 5);
        Map<String, String> config = config(topic, redis);
        config.put("tasks.max", "2");
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            oracle.produce(producer, 400, 100, 0);
            start(topic, config);
            await().atMost(WAIT).until(() -> ConnectAndRedis.taskMetric(topic, "retries-total") >= 4);

            // a third task joins the consumer group: the running tasks lose partitions while those back off
            config.put("tasks.max", "3");
            cluster.connect.configureConnector(topic, config);
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(cluster.connect.connectorStatus(topic).tasks()).hasSize(3);
                assertTasksRunning(topic);
            });
            assertThat(cluster.committedOffsets(topic)).allSatisfy((tp, offset) -> assertThat(offset).isZero());
            client.configSet("maxmemory", "0");

            oracle.produce(producer, 400, 100, 0);
            assertOracle(oracle, topic, client, false);
            assertTasksRunning(topic);
        }
    }
}
