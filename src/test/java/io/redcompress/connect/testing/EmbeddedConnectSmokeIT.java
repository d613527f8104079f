package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.integration.ConnectorHandle;
import org.apache.kafka.connect.integration.RuntimeHandles;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves the {@link EmbeddedConnectCluster} harness works on this classpath (Kafka 4.3.1): one KRaft broker,
 * one worker with {@code plugin.discovery=service_load}, a sink connector from the connect-runtime test jar,
 * a converter failure routed to a dead letter queue, and committed offsets read back from the consumer group.
 * It is the template for the connector's own integration tests.
 */
class EmbeddedConnectSmokeIT {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedConnectSmokeIT.class);

    private static final String CONNECTOR = "smoke-sink";
    private static final String TOPIC = "smoke-in";
    private static final String DLQ = "smoke-dlq";

    private EmbeddedConnectCluster connect;

    @BeforeEach
    void startCluster() throws InterruptedException {
        // must be mutable: the cluster adds bootstrap.servers, listeners, internal topic names to it
        Map<String, String> workerProps = new HashMap<>();
        workerProps.put("plugin.discovery", "service_load");
        // sink tasks commit offsets on this interval (default 60 s)
        workerProps.put("offset.flush.interval.ms", "500");

        Properties brokerProps = new Properties();
        brokerProps.put("auto.create.topics.enable", "false");

        connect = new EmbeddedConnectCluster.Builder()
                .name("smoke")
                .numWorkers(1)
                .numBrokers(1)
                .workerProps(workerProps)
                .brokerProps(brokerProps)
                .maskExitProcedures(true)
                .build();
        long begin = System.nanoTime();
        connect.start();
        connect.assertions().assertAtLeastNumWorkersAreUp(1, "worker did not start");
        log.info("EmbeddedConnectCluster (1 broker, 1 worker) up in {} ms",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    @AfterEach
    void stopCluster() {
        RuntimeHandles.get().deleteConnector(CONNECTOR);
        if (connect != null) {
            long begin = System.nanoTime();
            connect.stop();
            log.info("EmbeddedConnectCluster stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
        }
    }

    @Test
    void sinkConsumesCommitsAndRoutesBadRecordsToTheDeadLetterQueue() throws Exception {
        connect.kafka().createTopic(TOPIC, 2);

        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "org.apache.kafka.connect.integration.TestableSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics", TOPIC);
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        config.put("value.converter.schemas.enable", "false");
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", DLQ);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");

        ConnectorHandle handle = RuntimeHandles.get().connectorHandle(CONNECTOR);
        handle.expectedRecords(3);
        connect.configureConnector(CONNECTOR, config);
        connect.assertions().assertConnectorAndAtLeastNumTasksAreRunning(CONNECTOR, 1, "connector did not start");

        connect.kafka().produce(TOPIC, 0, "k1", "{\"n\":1}");
        connect.kafka().produce(TOPIC, 1, "k2", "{\"n\":2}");
        connect.kafka().produce(TOPIC, 0, "bad", "{not json");
        connect.kafka().produce(TOPIC, 1, "k3", "{\"n\":3}");
        handle.awaitRecords(TimeUnit.SECONDS.toMillis(30));

        // the converter failure went to the DLQ, raw bytes kept, with the context headers
        ConsumerRecords<byte[], byte[]> dead = connect.kafka().consume(1, TimeUnit.SECONDS.toMillis(30), DLQ);
        ConsumerRecord<byte[], byte[]> deadRecord = dead.iterator().next();
        assertThat(new String(deadRecord.value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(header(deadRecord, "__connect.errors.topic")).isEqualTo(TOPIC);
        assertThat(header(deadRecord, "__connect.errors.partition")).isEqualTo("0");
        assertThat(header(deadRecord, "__connect.errors.offset")).isEqualTo("1");
        assertThat(header(deadRecord, "__connect.errors.stage")).isEqualTo("VALUE_CONVERTER");
        assertThat(header(deadRecord, "__connect.errors.exception.class.name"))
                .isEqualTo("org.apache.kafka.connect.errors.DataException");

        // committed offsets of the sink's consumer group: "connect-" + connector name
        try (Admin admin = connect.kafka().createAdminClient()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets("connect-" + CONNECTOR)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                assertThat(committed).containsEntry(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(2))
                        .containsEntry(new TopicPartition(TOPIC, 1), new OffsetAndMetadata(2));
            });
        }
        // the same through the REST API (GET /connectors/{name}/offsets)
        assertThat(connect.connectorOffsets(CONNECTOR).offsets()).hasSize(2);

        // lifecycle operations
        connect.pauseConnector(CONNECTOR);
        connect.assertions().assertConnectorAndExactlyNumTasksArePaused(CONNECTOR, 1, "connector did not pause");
        connect.resumeConnector(CONNECTOR);
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "connector did not resume");
        ConnectorStateInfo restarted = connect.restartConnectorAndTasks(CONNECTOR, false, true, false);
        assertThat(restarted.name()).isEqualTo(CONNECTOR);
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "connector did not restart");
        connect.deleteConnector(CONNECTOR);
        connect.assertions().assertConnectorDoesNotExist(CONNECTOR, "connector was not deleted");
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
