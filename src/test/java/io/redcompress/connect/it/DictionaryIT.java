package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.DictionaryIds;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueHeader;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * compression.dictionary=auto in a real worker against a real redis-server: values name a dictionary only once it is
 * stored, every value decodes through dictionaries read from Redis (by an independent client), a restarted task uses
 * its dictionary again, a user that may not write the dictionary prefix loses nothing, two tasks, drift.
 */
class DictionaryIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String PREFIX = "redcompress:dict";
    private static ConnectAndRedis cluster;
    private static RespClient redis;
    private final Random random = new Random(9);
    private long sequence;

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("dictionary-it", worker -> { });
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
        redis.flushAll(); // each test counts the dictionaries in Redis
    }

    /** The sink on defaults, with zstd and dictionaries: what this class tests. */
    private Map<String, String> dictionaryConfig(String topic) {
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("compression.codec", "zstd");
        config.put("compression.dictionary", "auto");
        return config;
    }

    /** Produces {@code count} values of {@code kind} with new keys, round robin over the partitions; returns key -> value. */
    private Map<String, byte[]> produce(String topic, int partitions, String kind, int count) {
        Map<String, byte[]> produced = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < count; i++) {
                long n = sequence++;
                byte[] value = SampleData.ofKind(kind, n, random);
                String key = "k" + n;
                produced.put(topic + ":" + key, value);
                producer.send(new ProducerRecord<>(topic, (int) (n % partitions), key.getBytes(StandardCharsets.UTF_8), value));
            }
        }
        return produced;
    }

    private void awaitAllCommitted(String connector, String topic, int partitions) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            long count = 0;
            for (long n = 0; n < sequence; n++) {
                if (n % partitions == p) {
                    count++;
                }
            }
            ends.put(new TopicPartition(topic, p), count);
        }
        cluster.awaitCommitted(connector, ends, WAIT);
    }

    /** Dictionaries read from Redis by the test's own client, as an application would. */
    private static ValueDecoder decoderReadingRedis() {
        return ValueDecoder.builder().dictionaries(id -> redis.get(PREFIX + ":" + id)).build();
    }

    /** Every produced value, read back from Redis, decodes to its bytes; returns the dictionary ids the values name. */
    private static Set<Long> assertEveryValueDecodes(Map<String, byte[]> produced) {
        ValueDecoder decoder = decoderReadingRedis();
        Set<Long> named = new HashSet<>();
        for (Map.Entry<String, byte[]> entry : produced.entrySet()) {
            byte[] stored = redis.get(entry.getKey());
            assertThat(stored).as(entry.getKey()).isNotNull();
            assertThat(decoder.decodeValue(stored)).as(entry.getKey()).isEqualTo(entry.getValue());
            ValueHeader header = ValueDecoder.header(stored);
            if (header.usesDictionary()) {
                named.add(header.dictionaryId());
            }
        }
        return named;
    }

    private static List<String> dictionaryKeys() {
        return redis.keys(PREFIX + ":*").stream().filter(k -> k.substring(PREFIX.length() + 1).matches("\\d+")).toList();
    }

    /**
     * Keeps producing values of {@code kind}, as a live stream does, until the connector has stored a dictionary for
     * the topic and recorded it (the pointer is written just after the task starts using it); returns what was produced.
     */
    private Map<String, byte[]> produceUntilADictionaryIsUsed(String connector, String topic, int partitions, String kind) {
        Map<String, byte[]> produced = new HashMap<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            produced.putAll(produce(topic, partitions, kind, 500));
            return redis.exists(PREFIX + ":active:" + connector + ":" + topic);
        });
        return produced;
    }

    @Test
    void valuesNameADictionaryStoredInRedisAndAllDecodeThroughIt() throws Exception {
        String topic = "auto-heartbeats";
        cluster.connect.kafka().createTopic(topic, 1);
        cluster.startConnector("auto", dictionaryConfig(topic));
        Map<String, byte[]> produced = produceUntilADictionaryIsUsed("auto", topic, 1, "heartbeat");
        Map<String, byte[]> after = produce(topic, 1, "heartbeat", 2_000);
        produced.putAll(after);
        awaitAllCommitted("auto", topic, 1);

        List<String> dictionaries = dictionaryKeys();
        assertThat(dictionaries).hasSize(1);
        long id = Long.parseLong(dictionaries.get(0).substring(PREFIX.length() + 1));
        byte[] dictionary = redis.get(dictionaries.get(0));
        assertThat(DictionaryIds.embedded(dictionary)).isEqualTo(id);
        assertThat(DictionaryIds.hasDerivedId(dictionary)).isTrue();
        assertThat(redis.pttl(dictionaries.get(0))).as("a dictionary never expires").isEqualTo(-1);
        assertThat(redis.getString(PREFIX + ":active:auto:" + topic)).isEqualTo(Long.toString(id));

        assertThat(assertEveryValueDecodes(produced)).containsExactly(id);
        long stored = 0;
        long original = 0;
        for (String key : after.keySet()) {
            byte[] value = redis.get(key);
            assertThat(ValueDecoder.header(value).dictionaryId()).as("written after the dictionary was stored").isEqualTo(id);
            stored += value.length;
            original += after.get(key).length;
        }
        assertThat((double) stored / original).as("heartbeats with a dictionary").isLessThan(0.35);
        assertThat(ConnectAndRedis.taskMetric("auto", "dictionaries-stored-total")).isEqualTo(1);
        assertThat(ConnectAndRedis.taskMetric("auto", "dictionary-bytes-stored-total")).isEqualTo(dictionary.length);

        // restart: the new task finds the dictionary through the pointer and trains nothing
        cluster.connect.deleteConnector("auto");
        cluster.startConnector("auto", dictionaryConfig(topic));
        Map<String, byte[]> afterRestart = produce(topic, 1, "heartbeat", 2_000);
        awaitAllCommitted("auto", topic, 1);
        assertThat(assertEveryValueDecodes(afterRestart)).containsExactly(id);
        assertThat(dictionaryKeys()).hasSize(1);
        assertThat(ConnectAndRedis.taskMetric("auto", "dictionary-trainings-total")).isZero();
    }

    @Test
    void aUserThatMayNotWriteTheDictionaryPrefixLosesNothingAndGetsItsDictionaryOnceAllowed() throws Exception {
        String topic = "acl-dict";
        cluster.connect.kafka().createTopic(topic, 1);
        redis.command("ACL", "SETUSER", "dict-writer", "on", ">dict-secret", "~" + topic + ":*", "+@all");
        Map<String, String> config = dictionaryConfig(topic);
        config.put("redis.username", "dict-writer");
        config.put("redis.password", "dict-secret");
        config.put("compression.dictionary.store.retry.ms", "200"); // the fault under test is lifted mid-test: retry soon
        cluster.startConnector("acl-dict", config);
        Map<String, byte[]> produced = produce(topic, 1, "heartbeat", 3_000);
        awaitAllCommitted("acl-dict", topic, 1);
        await().atMost(WAIT).until(() -> ConnectAndRedis.taskMetric("acl-dict", "dictionary-store-failures-total") > 0);
        Map<String, byte[]> more = produce(topic, 1, "heartbeat", 500);
        produced.putAll(more);
        awaitAllCommitted("acl-dict", topic, 1);
        assertThat(assertEveryValueDecodes(produced)).as("no value names a dictionary Redis refused").isEmpty();
        assertThat(dictionaryKeys()).isEmpty();

        redis.command("ACL", "SETUSER", "dict-writer", "~" + PREFIX + ":*");
        produced.putAll(produceUntilADictionaryIsUsed("acl-dict", topic, 1, "heartbeat"));
        Map<String, byte[]> allowed = produce(topic, 1, "heartbeat", 1_000);
        produced.putAll(allowed);
        awaitAllCommitted("acl-dict", topic, 1);
        assertThat(assertEveryValueDecodes(produced)).hasSize(1);
    }

    @Test
    void twoTasksEachStoreWhatTheyTrainedAndEveryValueDecodes() throws Exception {
        String topic = "two-tasks";
        cluster.connect.kafka().createTopic(topic, 2);
        Map<String, String> config = dictionaryConfig(topic);
        config.put("tasks.max", "2");
        cluster.configureConnector("two-tasks", config);
        cluster.connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("two-tasks", 2, "two tasks did not start");
        try (org.apache.kafka.clients.admin.Admin admin = cluster.connect.kafka().createAdminClient()) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(admin.describeConsumerGroups(List.of("connect-two-tasks"))
                    .all().get().get("connect-two-tasks").members())
                    .as("each task consumes one partition").hasSize(2)
                    .allSatisfy(m -> assertThat(m.assignment().topicPartitions()).hasSize(1)));
        }
        Map<String, byte[]> produced = produce(topic, 2, "heartbeat", 6_000);
        awaitAllCommitted("two-tasks", topic, 2);
        await().atMost(WAIT).until(() -> ConnectAndRedis.taskMetric("two-tasks", "dictionary-topics-active") == 2);
        Map<String, byte[]> later = produce(topic, 2, "heartbeat", 2_000);
        produced.putAll(later);
        awaitAllCommitted("two-tasks", topic, 2);
        Set<Long> named = assertEveryValueDecodes(produced);
        // each task trained on its own partition's values: two dictionaries, each stored, each partition's later values
        // naming its own
        assertThat(named).hasSize(2);
        assertThat(dictionaryKeys()).hasSize(2);
        Map<Long, Set<Long>> dictionariesByPartition = new HashMap<>();
        later.keySet().forEach(key -> dictionariesByPartition.computeIfAbsent(Long.parseLong(key.substring(key.lastIndexOf('k') + 1)) % 2,
                p -> new HashSet<>()).add(ValueDecoder.header(redis.get(key)).dictionaryId()));
        assertThat(dictionariesByPartition.get(0L)).hasSize(1).doesNotContainAnyElementsOf(dictionariesByPartition.get(1L));
    }

    @Test
    void whenThePayloadChangesShapeTheTaskRetrainsAndBothGenerationsDecode() throws Exception {
        String topic = "drift";
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = dictionaryConfig(topic);
        config.put("compression.dictionary.retrain.min.interval.ms", "0"); // the drift under test comes within seconds
        cluster.startConnector("drift", config);
        Map<String, byte[]> produced = produceUntilADictionaryIsUsed("drift", topic, 1, "heartbeat");
        String first = redis.getString(PREFIX + ":active:drift:" + topic);
        produced.putAll(produce(topic, 1, "heartbeat", 1_000));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            produced.putAll(produce(topic, 1, "log", 1_000));
            return !first.equals(redis.getString(PREFIX + ":active:drift:" + topic));
        });
        String second = redis.getString(PREFIX + ":active:drift:" + topic);
        produced.putAll(produce(topic, 1, "log", 1_000));
        awaitAllCommitted("drift", topic, 1);
        assertThat(assertEveryValueDecodes(produced)).contains(Long.parseLong(first), Long.parseLong(second));
        assertThat(ConnectAndRedis.taskMetric("drift", "dictionary-retrains-total")).isEqualTo(1);
    }

    @Test
    void aPinnedDictionaryCompressesEveryValueAndAMissingOneStopsTheTaskNamingItsKey() throws Exception {
        String topic = "pinned";
        cluster.connect.kafka().createTopic(topic, 1);
        java.util.List<byte[]> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            samples.add(SampleData.heartbeat("d" + i % 40, 1_000_000 + i, random));
        }
        io.redcompress.connect.codec.ZstdDictionary dictionary = io.redcompress.connect.codec.DictionaryTrainer.train(samples, 4096);
        redis.set(PREFIX + ":" + dictionary.id(), dictionary.bytes()); // as the command-line tool's train stores it

        Map<String, String> config = dictionaryConfig(topic);
        config.put("compression.dictionary", Long.toString(dictionary.id()));
        cluster.startConnector("pinned", config);
        Map<String, byte[]> produced = produce(topic, 1, "heartbeat", 1_000);
        awaitAllCommitted("pinned", topic, 1);
        assertThat(assertEveryValueDecodes(produced)).containsExactly(dictionary.id());
        for (String key : produced.keySet()) {
            assertThat(ValueDecoder.header(redis.get(key)).dictionaryId()).as(key).isEqualTo(dictionary.id());
        }
        assertThat(dictionaryKeys()).containsExactly(PREFIX + ":" + dictionary.id());

        Map<String, String> missing = dictionaryConfig(topic);
        missing.put("compression.dictionary", "123456");
        cluster.connect.deleteConnector("pinned");
        cluster.configureConnector("pinned-missing", missing);
        String trace = cluster.awaitTaskFailed("pinned-missing", "a task whose pinned dictionary is missing does not start");
        assertThat(trace).contains("compression.dictionary=123456").contains(PREFIX + ":123456 does not exist");
    }
}
