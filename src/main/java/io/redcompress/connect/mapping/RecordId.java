package io.redcompress.connect.mapping;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Where a record came from, before any topic-renaming SMT: the coordinates its offset is committed under
 * and the words every error message uses to name it.
 */
public record RecordId(String topic, int partition, long offset) {

    public static RecordId of(SinkRecord record) {
        return new RecordId(record.originalTopic(), record.originalKafkaPartition(), record.originalKafkaOffset());
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    @Override
    public String toString() {
        return "topic=" + topic + " partition=" + partition + " offset=" + offset;
    }
}
