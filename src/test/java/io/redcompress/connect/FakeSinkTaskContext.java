package io.redcompress.connect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

/** A SinkTaskContext for task unit tests: records timeouts, pauses, rewinds and dead-letter reports. */
public final class FakeSinkTaskContext implements SinkTaskContext {

    public record Report(SinkRecord record, Throwable error) {
    }

    public final List<Report> reports = new ArrayList<>();
    public final Set<TopicPartition> assignment = new HashSet<>();
    public final Set<TopicPartition> paused = new HashSet<>();
    public final List<TopicPartition> resumed = new ArrayList<>();
    /** Rewinds asked for and not yet carried out, as WorkerSinkTaskContext keeps them until the next poll. */
    public final Map<TopicPartition, Long> rewinds = new HashMap<>();
    public Long lastTimeoutMs;
    /** What pluginMetrics() returns: null, as on a worker before Kafka 4.1, unless a test sets it. */
    public PluginMetrics pluginMetrics;
    private final boolean deadLetterQueue;

    public FakeSinkTaskContext(boolean deadLetterQueue) {
        this.deadLetterQueue = deadLetterQueue;
    }

    @Override
    public Map<String, String> configs() {
        return Map.of();
    }

    @Override
    public void offset(Map<TopicPartition, Long> offsets) {
        rewinds.putAll(offsets);
    }

    @Override
    public void offset(TopicPartition tp, long offset) {
        rewinds.put(tp, offset);
    }

    @Override
    public void timeout(long timeoutMs) {
        lastTimeoutMs = timeoutMs;
    }

    @Override
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    @Override
    public void pause(TopicPartition... partitions) {
        paused.addAll(List.of(partitions));
    }

    @Override
    public void resume(TopicPartition... partitions) {
        for (TopicPartition partition : partitions) {
            if (!assignment.isEmpty() && !assignment.contains(partition)) {
                // as WorkerSinkTaskContext does
                throw new IllegalStateException("Cannot resume partition " + partition + " that is not assigned");
            }
            paused.remove(partition);
            resumed.add(partition);
        }
    }

    @Override
    public void requestCommit() {
    }

    @Override
    public ErrantRecordReporter errantRecordReporter() {
        if (!deadLetterQueue) {
            return null;
        }
        return (record, error) -> {
            reports.add(new Report(record, error));
            return CompletableFuture.completedFuture(null);
        };
    }

    @Override
    public PluginMetrics pluginMetrics() {
        return pluginMetrics;
    }
}
