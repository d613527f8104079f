package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * One real KRaft broker, one real Connect worker (plugin.discovery=service_load) and one real redis-server,
 * shared by the tests of a class. Tests use their own topics and connectors, so they do not see each other.
 */
public final class ConnectAndRedis implements AutoCloseable {

    public static final String CONNECTOR_CLASS = "io.redcompress.connect.RedisCompressedSinkConnector";

    public final EmbeddedConnectCluster connect;
    public final RedisServerProcess redis;
    /** For tests to look at what Redis holds, independently of the connector's Lettuce client. */
    public final RespClient redisClient;
    private final Set<String> connectors = new LinkedHashSet<>();

    private ConnectAndRedis(EmbeddedConnectCluster connect, RedisServerProcess redis) {
        this.connect = connect;
        this.redis = redis;
        this.redisClient = redis.client();
    }

    public static ConnectAndRedis start(String name, Consumer<Map<String, String>> workerProps) {
        return start(name, workerProps, redis -> { });
    }

    /** As {@link #start(String, Consumer)}, with redis-server settings of the caller's (a bench's {@code hash-max-listpack-value}). */
    public static ConnectAndRedis start(String name, Consumer<Map<String, String>> workerProps,
                                        Consumer<RedisServerProcess.Builder> redisSettings) {
        RedisServerProcess.Builder redisBuilder = RedisServerProcess.builder();
        redisSettings.accept(redisBuilder);
        RedisServerProcess redis = redisBuilder.start();
        Map<String, String> worker = new HashMap<>();
        worker.put("plugin.discovery", "service_load");
        // a worker setting, not the connector's: tests read committed offsets, and waiting 60 s for each commit would
        // only slow them down; what is committed is decided by the connector's preCommit either way
        worker.put("offset.flush.interval.ms", "500");
        workerProps.accept(worker);
        Properties broker = new Properties();
        broker.put("auto.create.topics.enable", "false");
        EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder()
                .name(name)
                .numWorkers(1)
                .numBrokers(1)
                .workerProps(worker)
                .brokerProps(broker)
                .maskExitProcedures(true)
                .build();
        try {
            connect.start();
            connect.assertions().assertAtLeastNumWorkersAreUp(1, "the Connect worker did not start");
        } catch (RuntimeException | InterruptedException | Error e) {
            redis.close();
            throw new IllegalStateException("cannot start the embedded Connect cluster", e);
        }
        return new ConnectAndRedis(connect, redis);
    }

    /** A sink config for one topic: bytes in, exact bytes stored, every other setting at its default. */
    public Map<String, String> sinkConfig(String topic) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", CONNECTOR_CLASS);
        config.put("tasks.max", "1");
        config.put("topics", topic);
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("redis.uri", redis.uri());
        config.put("key.template", "${topic}:${key}");
        return config;
    }

    public static void withDeadLetterQueue(Map<String, String> config, String dlqTopic) {
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", dlqTopic);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
    }

    /**
     * A producer for test data. Idempotence is off and one request is in flight, so order per partition holds
     * even when the first send to a just-created topic meets NOT_LEADER_OR_FOLLOWER (with idempotence on, the
     * harness's broker then rejected the retried first batch with OUT_OF_ORDER_SEQUENCE_NUMBER, forever).
     */
    public KafkaProducer<byte[], byte[]> producer() {
        return connect.kafka().createProducer(Map.of(
                "enable.idempotence", false,
                "max.in.flight.requests.per.connection", 1,
                "acks", "all",
                "linger.ms", 20));
    }

    /** Creates a connector and waits until a task runs; {@link #deleteConnectors()} removes it after the test. */
    public void startConnector(String name, Map<String, String> config) throws InterruptedException {
        configureConnector(name, config);
        connect.assertions().assertConnectorAndAtLeastNumTasksAreRunning(name, 1, "connector " + name + " did not start");
    }

    /** Creates a connector without waiting (for tests that expect its task to fail); deleted after the test. */
    public void configureConnector(String name, Map<String, String> config) {
        connectors.add(name);
        connect.configureConnector(name, config);
    }

    /** Deletes every connector the test created that still exists; for an @AfterEach. */
    public void deleteConnectors() {
        for (String name : connectors) {
            if (connect.connectors().contains(name)) {
                connect.deleteConnector(name);
            }
        }
        connectors.clear();
    }

    /**
     * A sink for fault tests: writes to {@code redisUri} on the default retry budget and timeouts (what operators run
     * with, and what a fault must be survived on), and sends undecodable records to topic + ".dlq". A test that
     * needs another limit sets it and says why beside it.
     */
    public Map<String, String> faultTestConfig(String topic, String redisUri) {
        Map<String, String> config = sinkConfig(topic);
        config.put("redis.uri", redisUri);
        withDeadLetterQueue(config, topic + ".dlq");
        return config;
    }

    /** Waits until the connector's (single) task has failed; returns its trace, which the operator would read. */
    public String awaitTaskFailed(String connector, String why) throws InterruptedException {
        connect.assertions().assertConnectorIsRunningAndTasksHaveFailed(connector, 1, why);
        return connect.connectorStatus(connector).tasks().get(0).trace();
    }

    /** For two seconds, nothing of the partition is committed at or past {@code offset}. */
    public void assertNothingCommittedPast(String connector, TopicPartition partition, long offset) {
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(committedOffsets(connector).getOrDefault(partition, 0L)).isLessThanOrEqualTo(offset));
    }

    /** Waits until every produced record is committed, then runs every check of the oracle. */
    public void assertOracle(StreamOracle oracle, String connector, RedisView redis, boolean dlqDuplicatesAllowed) throws Exception {
        awaitCommitted(connector, oracle.endOffsets(), Duration.ofSeconds(90));
        oracle.assertRedisHoldsExactlyTheExpectedState(redis);
        oracle.assertDeadLetterTopicHoldsExactlyTheUndecodableRecords(connect.kafka(), oracle.topic() + ".dlq", dlqDuplicatesAllowed);
        oracle.assertCommittedOffsetsWereAcknowledged(committedOffsets(connector), redis);
    }

    /** Offsets committed by the sink's consumer group ("connect-" + connector name). */
    public Map<TopicPartition, Long> committedOffsets(String connector) throws Exception {
        try (Admin admin = connect.kafka().createAdminClient()) {
            return committedOffsets(admin, connector);
        }
    }

    /** {@link #committedOffsets(String)} through an admin client the caller keeps (for polling it often). */
    public static Map<TopicPartition, Long> committedOffsets(Admin admin, String connector) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("connect-" + connector)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        committed.forEach((tp, om) -> {
            if (om != null) {
                offsets.put(tp, om.offset());
            }
        });
        return offsets;
    }

    public void awaitCommitted(String connector, Map<TopicPartition, Long> expected, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(committedOffsets(connector)).containsAllEntriesOf(expected));
    }

    /**
     * A task metric of the connector as the worker publishes it over JMX (this JVM runs the worker), summed over the
     * connector's tasks; 0 when no task has published it yet.
     */
    public static double taskMetric(String connector, String metric) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        double sum = 0;
        for (ObjectName name : server.queryNames(new ObjectName("kafka.connect:type=plugins,*"), null)) {
            if (connector.equals(name.getKeyProperty("connector"))) {
                try {
                    sum += ((Number) server.getAttribute(name, metric)).doubleValue();
                } catch (javax.management.AttributeNotFoundException e) {
                    // another plugin's metrics
                }
            }
        }
        return sum;
    }

    public static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            redisClient.close();
            connect.stop();
        } finally {
            redis.close();
        }
    }
}
