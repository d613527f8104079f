package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.RespClient;

/**
 * Poison records of every kind. With errors.tolerance=all each lands on the dead-letter topic with its reason and
 * the rest flow; with errors.tolerance=none the task stops at the first one, names it, and commits nothing past it.
 */
class PoisonRecordsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static ConnectAndRedis cluster;
    private static RespClient redis;

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("poison-it", worker -> { });
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

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, String value) {
        producer.send(new ProducerRecord<>(topic, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    }

    private Map<String, String> jsonConfig(String topic) {
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        config.put("value.converter.schemas.enable", "false");
        return config;
    }

    @Test
    void withToleranceAllEveryKindOfPoisonLandsOnTheDeadLetterTopicWithItsReason() throws Exception {
        String topic = "poison-all";
        String dlq = topic + ".dlq";
        cluster.connect.kafka().createTopic(topic, 1);
        String big = "{\"deviceId\":\"d4\",\"blob\":\"" + "x".repeat(600) + "\"}";
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            send(producer, topic, "a", "{\"deviceId\":\"d1\",\"v\":1}");
            send(producer, topic, null, "{\"deviceId\":\"d2\"}");          // 1: no key for ${key}
            send(producer, topic, "b", "{\"v\":2}");                       // 2: no deviceId for ${value.deviceId}
            send(producer, topic, "c", "{not json");                       // 3: the converter rejects it
            send(producer, topic, "d", big);                                // 4: over max.value.bytes
            send(producer, topic, "e", "[1,2,3]");                          // 5: a list has no fields
            send(producer, topic, "f", "{\"deviceId\":\"d6\"}");
            send(producer, topic, "g", null);                               // 7: tombstone, ignored
        }
        Map<String, String> config = jsonConfig(topic);
        config.put("key.template", "${topic}:${key}:${value.deviceId}");
        config.put("behavior.on.null.values", "ignore");
        config.put("max.value.bytes", "500");
        ConnectAndRedis.withDeadLetterQueue(config, dlq);
        cluster.startConnector(topic, config);

        cluster.awaitCommitted(topic, Map.of(new TopicPartition(topic, 0), 8L), WAIT);
        assertThat(redis.keys(topic + ":*")).containsExactlyInAnyOrder(topic + ":a:d1", topic + ":f:d6");
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(ValueDecoder.decode(redis.get(topic + ":f:d6")))).isEqualTo(json.readTree("{\"deviceId\":\"d6\"}"));

        ConsumerRecords<byte[], byte[]> dead = cluster.connect.kafka().consume(5, WAIT.toMillis(), dlq);
        Map<String, ConsumerRecord<byte[], byte[]>> byOffset = new HashMap<>();
        dead.forEach(r -> byOffset.put(ConnectAndRedis.header(r, "__connect.errors.offset"), r));
        assertThat(byOffset).containsOnlyKeys("1", "2", "3", "4", "5");
        assertThat(reason(byOffset.get("1"))).contains("offset=1").contains("record key is null");
        assertThat(reason(byOffset.get("2"))).contains("offset=2").contains("field 'deviceId' of value is missing");
        assertThat(ConnectAndRedis.header(byOffset.get("3"), "__connect.errors.stage")).isEqualTo("VALUE_CONVERTER");
        assertThat(reason(byOffset.get("4"))).contains("offset=4").contains("over max.value.bytes=500");
        assertThat(reason(byOffset.get("5"))).contains("offset=5").contains("not a Struct or Map");
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            assertThat(record.value()).as("the DLQ keeps the raw bytes").isNotEmpty();
        }
        assertThat(new String(byOffset.get("3").value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(new String(byOffset.get("4").value(), StandardCharsets.UTF_8)).isEqualTo(big);
    }

    private static String reason(ConsumerRecord<byte[], byte[]> record) {
        return ConnectAndRedis.header(record, "__connect.errors.exception.message");
    }

    @Test
    void withToleranceNoneTheTaskStopsAtThePoisonRecordNamingItAndCommitsNothingPastIt() throws Exception {
        String topic = "poison-none";
        cluster.connect.kafka().createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            send(producer, topic, "a", "{\"v\":0}");
            send(producer, topic, "b", "{\"v\":1}");
            send(producer, topic, null, "{\"v\":2}");
            send(producer, topic, "c", "{\"v\":3}");
        }
        cluster.configureConnector(topic, jsonConfig(topic));

        assertThat(cluster.awaitTaskFailed(topic, "the task did not stop at the poison record"))
                .contains("Record topic=poison-none partition=0 offset=2 cannot be written to Redis: record key is null")
                .contains("errors.tolerance=all").contains("errors.deadletterqueue.topic.name");
        cluster.assertNothingCommittedPast(topic, new TopicPartition(topic, 0), 2);
        assertThat(redis.exists(topic + ":c")).isFalse();
    }

    @Test
    void withToleranceNoneMalformedJsonStopsTheTaskInTheConverter() throws Exception {
        String topic = "poison-json";
        cluster.connect.kafka().createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            send(producer, topic, "a", "{\"v\":0}");
            send(producer, topic, "b", "{oops");
            send(producer, topic, "c", "{\"v\":2}");
        }
        cluster.configureConnector(topic, jsonConfig(topic));

        assertThat(cluster.awaitTaskFailed(topic, "malformed JSON did not stop the task")).contains("Tolerance exceeded");
        cluster.assertNothingCommittedPast(topic, new TopicPartition(topic, 0), 1);
        assertThat(redis.exists(topic + ":c")).isFalse();
    }
}
