package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.RespClient;

/**
 * The reliability oracle. It remembers every record produced to a topic (key, exact value bytes or tombstone, and
 * whether the connector cannot write it) and from that alone says what Redis must hold, what the dead-letter topic
 * must hold and which committed offsets are believable; each check compares that with the real Redis, the real
 * topic and the real consumer group. The connector under test must use key.template=${topic}:${key} and a
 * byte-exact value converter (ByteArrayConverter), so a decoded value must equal the produced bytes.
 */
public final class StreamOracle {

    /** One produced record. A null value is a tombstone; undecodable ones (no key) must land on the DLQ. */
    public record Produced(String topic, int partition, long offset, String key, byte[] value) {

        boolean undecodable() {
            return key == null;
        }

        String redisKey() {
            return topic + ":" + key;
        }

        String coordinates() {
            return topic + "/" + partition + "/" + offset;
        }
    }

    private final String topic;
    private final int partitions;
    private final List<Produced> produced = new ArrayList<>();
    private final Random random;
    private int sequence;

    public StreamOracle(String topic, int partitions, long seed) {
        this.topic = topic;
        this.partitions = partitions;
        this.random = new Random(seed);
    }

    public String topic() {
        return topic;
    }

    /**
     * Produces {@code count} records: values for keys drawn from a pool of {@code keys} (so keys are overwritten),
     * about 1 in 10 of them tombstones, and about 1 in {@code undecodableEvery} without a key (0: none). A key
     * always goes to the same partition, so per-key order is the partition's order.
     */
    public void produce(KafkaProducer<byte[], byte[]> producer, int count, int keys, int undecodableEvery) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>(count);
        List<String> keysSent = new ArrayList<>(count);
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = sequence++;
            String key = undecodableEvery > 0 && n % undecodableEvery == undecodableEvery - 1 ? null : "k" + random.nextInt(keys);
            byte[] value = key != null && random.nextInt(10) == 0 ? null : value(n);
            int partition = key == null ? random.nextInt(partitions) : Math.floorMod(key.hashCode(), partitions);
            sent.add(producer.send(new ProducerRecord<>(topic, partition,
                    key == null ? null : key.getBytes(StandardCharsets.UTF_8), value)));
            keysSent.add(key);
            values.add(value);
        }
        producer.flush();
        for (int i = 0; i < count; i++) {
            RecordMetadata metadata = sent.get(i).get(30, TimeUnit.SECONDS);
            synchronized (produced) {
                produced.add(new Produced(topic, metadata.partition(), metadata.offset(), keysSent.get(i), values.get(i)));
            }
        }
    }

    private byte[] value(int n) {
        return switch (n % 3) {
            case 0 -> ("{\"deviceId\":\"dev-" + n + "\",\"seq\":" + n + ",\"battery\":" + (n % 100) + ",\"status\":\"OK\"}")
                    .getBytes(StandardCharsets.UTF_8);
            case 1 -> ("{\"level\":\"INFO\",\"n\":" + n + ",\"message\":\"" + "event payload ".repeat(20 + n % 50) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            default -> {
                byte[] bytes = new byte[16 + random.nextInt(300)];
                random.nextBytes(bytes);
                yield bytes;
            }
        };
    }

    private List<Produced> snapshot() {
        synchronized (produced) {
            List<Produced> copy = new ArrayList<>(produced);
            copy.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                    : Long.compare(a.offset(), b.offset()));
            return copy;
        }
    }

    /** The end offset of each partition: what a complete run commits. */
    public Map<TopicPartition, Long> endOffsets() {
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (Produced p : snapshot()) {
            ends.merge(new TopicPartition(p.topic(), p.partition()), p.offset() + 1, Math::max);
        }
        return ends;
    }

    /**
     * Per partition, the offset of its first record that is a value to SET (not a tombstone, not undecodable): while
     * Redis refuses every SET, nothing may be committed past it (a DEL before it may go through, as Redis allows DEL
     * under OOM).
     */
    public Map<TopicPartition, Long> firstSetOffsets() {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (Produced p : snapshot()) {
            if (p.key() != null && p.value() != null) {
                first.merge(new TopicPartition(p.topic(), p.partition()), p.offset(), Math::min);
            }
        }
        return first;
    }

    public int undecodableCount() {
        return (int) snapshot().stream().filter(Produced::undecodable).count();
    }

    /** Last write per Redis key, tombstones applied (a null value: the key must be absent). */
    Map<String, byte[]> expectedState() {
        Map<String, byte[]> state = new LinkedHashMap<>();
        for (Produced p : snapshot()) {
            if (!p.undecodable()) {
                state.put(p.redisKey(), p.value());
            }
        }
        return state;
    }

    /** Redis holds exactly the last write of every key (tombstones applied), each decoding to the produced bytes. */
    public void assertRedisHoldsExactlyTheExpectedState(RespClient redis) {
        assertRedisHoldsExactlyTheExpectedState(RedisView.of(redis));
    }

    public void assertRedisHoldsExactlyTheExpectedState(RedisView redis) {
        Map<String, byte[]> expected = expectedState();
        Set<String> present = new HashSet<>(redis.keys(topic + ":*"));
        Set<String> expectedPresent = new HashSet<>();
        expected.forEach((key, value) -> {
            if (value != null) {
                expectedPresent.add(key);
            }
        });
        assertThat(present).as("keys in Redis for topic %s", topic).isEqualTo(expectedPresent);
        for (String key : expectedPresent) {
            byte[] stored = redis.get(key);
            assertThat(stored).as("value of %s", key).isNotNull();
            assertThat(ValueDecoder.decode(stored)).as("decoded value of %s", key).isEqualTo(expected.get(key));
        }
    }

    /**
     * Committed offsets are believable: for each partition committed up to C, every key's last write below C (or
     * a later write of that key) is what Redis holds; a value older than the last committed write means an offset
     * was committed for a write Redis never acknowledged. Nothing is committed past a partition's end either.
     */
    public void assertCommittedOffsetsWereAcknowledged(Map<TopicPartition, Long> committed, RespClient redis) {
        assertCommittedOffsetsWereAcknowledged(committed, RedisView.of(redis));
    }

    public void assertCommittedOffsetsWereAcknowledged(Map<TopicPartition, Long> committed, RedisView redis) {
        Map<TopicPartition, Long> ends = endOffsets();
        Map<String, TreeMap<Long, Produced>> writesByKey = new HashMap<>();
        for (Produced p : snapshot()) {
            if (!p.undecodable()) {
                writesByKey.computeIfAbsent(p.redisKey(), k -> new TreeMap<>()).put(p.offset(), p);
            }
        }
        committed.forEach((tp, offset) -> {
            if (!tp.topic().equals(topic)) {
                return;
            }
            assertThat(offset).as("committed offset of %s", tp).isLessThanOrEqualTo(ends.getOrDefault(tp, 0L));
        });
        for (Map.Entry<String, TreeMap<Long, Produced>> entry : writesByKey.entrySet()) {
            TreeMap<Long, Produced> writes = entry.getValue();
            Produced first = writes.firstEntry().getValue();
            Long committedOffset = committed.get(new TopicPartition(topic, first.partition()));
            if (committedOffset == null) {
                continue;
            }
            Map.Entry<Long, Produced> lastCommitted = writes.lowerEntry(committedOffset);
            if (lastCommitted == null) {
                continue;
            }
            byte[] stored = redis.get(entry.getKey());
            byte[] actual = stored == null ? null : ValueDecoder.decode(stored);
            boolean believable = writes.tailMap(lastCommitted.getKey(), true).values().stream()
                    .anyMatch(w -> Objects.deepEquals(w.value(), actual));
            assertThat(believable)
                    .as("%s: offset %d of partition %d is committed, so Redis must hold the write at offset %d or a later one, "
                            + "but holds %s", entry.getKey(), committedOffset, first.partition(), lastCommitted.getKey(),
                            actual == null ? "nothing" : actual.length + " other bytes")
                    .isTrue();
        }
    }

    /**
     * The dead-letter topic holds the undecodable records and nothing else, with their raw bytes and a reason.
     * With {@code allowDuplicates}, a record may appear more than once (a replay after a crash: at least once).
     */
    public void assertDeadLetterTopicHoldsExactlyTheUndecodableRecords(EmbeddedKafkaCluster kafka, String dlqTopic,
                                                                      boolean allowDuplicates) throws Exception {
        Map<String, Produced> undecodable = new HashMap<>();
        snapshot().stream().filter(Produced::undecodable).forEach(p -> undecodable.put(p.coordinates(), p));
        ConsumerRecords<byte[], byte[]> dead = kafka.consumeAll(Duration.ofSeconds(30).toMillis(), dlqTopic);
        List<String> seen = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            String coordinates = ConnectAndRedis.header(record, "__connect.errors.topic") + "/"
                    + ConnectAndRedis.header(record, "__connect.errors.partition") + "/"
                    + ConnectAndRedis.header(record, "__connect.errors.offset");
            if (!coordinates.startsWith(topic + "/")) {
                continue;
            }
            Produced original = undecodable.get(coordinates);
            assertThat(original).as("dead-letter record %s is not one the connector could not write", coordinates).isNotNull();
            assertThat(record.value()).as("raw bytes of %s on the DLQ", coordinates).isEqualTo(original.value());
            assertThat(ConnectAndRedis.header(record, "__connect.errors.exception.message")).as("reason of %s", coordinates)
                    .contains("record key is null");
            seen.add(coordinates);
        }
        assertThat(new HashSet<>(seen)).as("records on the DLQ").isEqualTo(undecodable.keySet());
        if (!allowDuplicates) {
            assertThat(seen).as("records on the DLQ, each once").hasSameSizeAs(undecodable.keySet());
        }
    }
}
