package io.redcompress.connect.mapping;

import java.util.Objects;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Where a record came from, before any topic-renaming SMT: the coordinates its offset is committed under
 * and the words every error message uses to name it. Holds its {@link TopicPartition}, shared by the records of one
 * partition in a batch, so the per-record bookkeeping does not build one for every look-up.
 */
public final class RecordId {

    private final TopicPartition topicPartition;
    private final long offset;

    public RecordId(String topic, int partition, long offset) {
        this(new TopicPartition(topic, partition), offset);
    }

    public RecordId(TopicPartition topicPartition, long offset) {
        this.topicPartition = Objects.requireNonNull(topicPartition, "topicPartition");
        this.offset = offset;
    }

    public static RecordId of(SinkRecord record) {
        return of(record, null);
    }

    /** The record's id, reusing {@code previous} when the record is of that same original topic and partition. */
    public static RecordId of(SinkRecord record, TopicPartition previous) {
        String topic = record.originalTopic();
        int partition = record.originalKafkaPartition();
        TopicPartition tp = previous != null && previous.partition() == partition && previous.topic().equals(topic)
                ? previous : new TopicPartition(topic, partition);
        return new RecordId(tp, record.originalKafkaOffset());
    }

    public String topic() {
        return topicPartition.topic();
    }

    public int partition() {
        return topicPartition.partition();
    }

    public long offset() {
        return offset;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordId other && offset == other.offset && topicPartition.equals(other.topicPartition);
    }

    @Override
    public int hashCode() {
        return 31 * topicPartition.hashCode() + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return "topic=" + topic() + " partition=" + partition() + " offset=" + offset;
    }
}
