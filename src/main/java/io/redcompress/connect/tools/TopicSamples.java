package io.redcompress.connect.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Training samples from a Kafka topic: the record values (bytes as produced, null values skipped) of every
 * partition from the beginning, read with a plain consumer that joins no group and commits nothing.
 */
public final class TopicSamples {

    private TopicSamples() {
    }

    /**
     * Up to {@code max} values of {@code topic}, partitions read in turn from their beginning up to the end they had
     * when reading began.
     *
     * @param consumerProperties further consumer settings (security.protocol, sasl.* ...); bootstrap.servers is set
     * @param timeout            how long reading may take in all
     * @throws IllegalArgumentException if the topic does not exist
     * @throws org.apache.kafka.common.KafkaException if Kafka cannot be reached in time
     */
    public static List<byte[]> read(String bootstrapServers, String topic, int max, Map<String, String> consumerProperties,
                                    Duration timeout) {
        Properties props = new Properties();
        props.putAll(consumerProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "redcompress-cli-train");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist at " + bootstrapServers);
            }
            List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(assigned, timeout));
            List<byte[]> samples = new ArrayList<>();
            while (samples.size() < max && System.nanoTime() < deadline) {
                ends.entrySet().removeIf(end -> consumer.position(end.getKey(), timeout) >= end.getValue());
                if (ends.isEmpty()) {
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() != null && samples.size() < max) {
                        samples.add(record.value());
                    }
                }
            }
            return samples;
        }
    }
}
