package io.redcompress.connect.pipeline;

import org.apache.kafka.common.TopicPartition;

import io.redcompress.connect.mapping.RecordId;

/** A partition whose pipeline stopped at a transient failure: the record it stopped at, and why. */
public record PartitionFailure(TopicPartition partition, RecordId firstFailed, String reason, Throwable cause) {
}
