package io.redcompress.connect.pipeline;

import org.apache.kafka.common.TopicPartition;

import io.redcompress.connect.mapping.RecordId;

/**
 * A partition whose pipeline stopped at a transient failure: the record it stopped at, and why. One that does not
 * count as a retry is sent again at once (the sender changed how it writes, see FailureKind.RESEND).
 */
public record PartitionFailure(TopicPartition partition, RecordId firstFailed, String reason, Throwable cause,
                               boolean countsAsRetry) {

    public PartitionFailure(TopicPartition partition, RecordId firstFailed, String reason, Throwable cause) {
        this(partition, firstFailed, reason, cause, true);
    }
}
