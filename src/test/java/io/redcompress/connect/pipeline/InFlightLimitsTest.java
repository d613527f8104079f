package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.FakeSinkTaskContext;
import io.redcompress.connect.TestRecords;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.metrics.SinkMetrics;

class InFlightLimitsTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);
    /** Every write here is a 1-byte key and value: what one costs in flight. */
    private static final long WRITE = PartitionPipelines.RECORD_OVERHEAD_BYTES + 1 + 1 + 1;

    private final FakeSinkTaskContext context = new FakeSinkTaskContext(true);
    private final PartitionPauses pauses = new PartitionPauses(context);
    private final OffsetTracker offsets = new OffsetTracker();
    private final PartitionPipelinesTest.ManualSender redis = new PartitionPipelinesTest.ManualSender();
    private final PartitionPipelines pipelines = new PartitionPipelines(redis, offsets, (w, r, c) -> { }, Duration.ofSeconds(30),
            new SinkMetrics());

    private List<PendingWrite> writes(int partition, long from, int count) {
        return java.util.stream.LongStream.range(from, from + count).mapToObj(offset -> {
            RecordId id = new RecordId("t", partition, offset);
            offsets.register(id);
            return new PendingWrite(TestRecords.record().partition(partition).offset(offset).build(),
                    new RedisWrite.SetValue(id, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1}, 1, 0));
        }).toList();
    }

    @Test
    void aPartitionOverItsRecordsIsPausedAloneAndResumedAtHalf() {
        InFlightLimits limits = new InFlightLimits(4, Long.MAX_VALUE, pauses, new SinkMetrics());
        pipelines.send(Map.of(P0, writes(0, 0, 4), P1, writes(1, 0, 1)));
        limits.apply(pipelines);
        assertThat(context.paused).as("4 of 4 is not over").isEmpty();

        pipelines.send(Map.of(P0, writes(0, 4, 1)));
        limits.apply(pipelines);
        assertThat(context.paused).containsExactly(P0);
        assertThat(context.lastTimeoutMs).isEqualTo(InFlightLimits.RECHECK_MILLIS);

        redis.acknowledge(0); // the first pipeline (P0's 4, then P1's 1: one per partition, in map order)
        redis.acknowledge(1);
        pipelines.settleReady();
        limits.apply(pipelines);
        assertThat(context.paused).as("1 left of P0, at most half of 4: resumed").isEmpty();
    }

    @Test
    void overTheBytesEveryPartitionWithSomethingInFlightIsPausedUntilHalfOfItIsLeft() {
        InFlightLimits limits = new InFlightLimits(1000, 4 * WRITE, pauses, new SinkMetrics());
        pipelines.send(Map.of(P0, writes(0, 0, 3)));
        pipelines.send(Map.of(P1, writes(1, 0, 1)));
        limits.apply(pipelines);
        assertThat(context.paused).as("4 writes' worth is the bound, not over it").isEmpty();

        pipelines.send(Map.of(P1, writes(1, 1, 1)));
        limits.apply(pipelines);
        assertThat(context.paused).containsExactlyInAnyOrder(P0, P1);

        redis.acknowledge(1);
        redis.acknowledge(2);
        pipelines.settleReady();
        limits.apply(pipelines);
        assertThat(context.paused).as("3 writes' worth left: over half").containsExactlyInAnyOrder(P0, P1);

        redis.acknowledge(0);
        pipelines.settleReady();
        limits.apply(pipelines);
        assertThat(context.paused).isEmpty();
        assertThat(context.resumed).containsExactlyInAnyOrder(P0, P1);
    }
}
