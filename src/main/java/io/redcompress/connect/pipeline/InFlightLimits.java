package io.redcompress.connect.pipeline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

import io.redcompress.connect.metrics.SinkMetrics;

/**
 * Bounds what is in flight to Redis without blocking the task thread: a partition with more than its share of records
 * in flight, or every partition with something in flight while the task holds more than its bytes bound, is paused; it
 * is resumed once its records and the task's bytes are back under half their bounds (half, so that a partition does
 * not flap between paused and running on every reply). While any partition is paused for this, Connect is asked to call
 * put() again within {@value #RECHECK_MILLIS} ms, so replies are settled and partitions resumed without waiting for new
 * records or the next offset commit. Used from the task thread only.
 */
public final class InFlightLimits {

    static final long RECHECK_MILLIS = 1;

    private final int maxRecordsPerPartition;
    private final long maxBytes;
    private final PartitionPauses pauses;
    private final SinkMetrics metrics;
    private final Set<TopicPartition> paused = new HashSet<>();

    public InFlightLimits(int maxRecordsPerPartition, long maxBytes, PartitionPauses pauses, SinkMetrics metrics) {
        this.maxRecordsPerPartition = maxRecordsPerPartition;
        this.maxBytes = maxBytes;
        this.pauses = pauses;
        this.metrics = metrics;
    }

    /** After sending or settling: pauses what is over the bounds and resumes what is back under half of them. */
    public void apply(PartitionPipelines pipelines) {
        boolean overBytes = pipelines.bytesInFlight() > maxBytes;
        for (TopicPartition partition : pipelines.partitionsInFlight()) {
            if ((overBytes || pipelines.recordsInFlight(partition) > maxRecordsPerPartition) && paused.add(partition)) {
                pauses.pause(partition, PartitionPauses.Reason.IN_FLIGHT);
                metrics.pausedForInFlight();
            }
        }
        if (!paused.isEmpty() && pipelines.bytesInFlight() <= maxBytes / 2) {
            List<TopicPartition> resumed = new ArrayList<>();
            for (TopicPartition partition : paused) {
                if (pipelines.recordsInFlight(partition) <= maxRecordsPerPartition / 2) {
                    resumed.add(partition);
                }
            }
            resumed.forEach(partition -> {
                paused.remove(partition);
                pauses.release(partition, PartitionPauses.Reason.IN_FLIGHT);
            });
        }
        if (!paused.isEmpty()) {
            pauses.wakeUpWithin(RECHECK_MILLIS);
        }
    }

    public boolean isPaused(TopicPartition partition) {
        return paused.contains(partition);
    }

    /** Partitions this task no longer owns. */
    public void forget(Collection<TopicPartition> partitions) {
        paused.removeAll(partitions);
    }
}
