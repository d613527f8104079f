package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.TestRecords;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.metrics.SinkMetrics;
import io.redcompress.connect.redis.FailureKind;
import io.redcompress.connect.redis.RedisWriteSender;
import io.redcompress.connect.redis.WriteResult;

class PartitionPipelinesTest {

    private final SinkMetrics metrics = new SinkMetrics();
    private final FakeRedisWriteSender redis = new FakeRedisWriteSender();
    private final OffsetTracker offsets = new OffsetTracker();
    private final List<String> rejected = new ArrayList<>();
    private final PartitionPipelines pipelines = new PartitionPipelines(redis, offsets,
            (write, reply, cause) -> rejected.add(write.write().recordId() + " " + reply), Duration.ofSeconds(5), metrics);

    private PendingWrite set(int partition, long offset, String key) {
        RecordId id = new RecordId("t", partition, offset);
        offsets.register(id);
        return new PendingWrite(TestRecords.record().partition(partition).offset(offset).build(),
                new RedisWrite.SetValue(id, key.getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xF5}, 1, 0));
    }

    private static List<PartitionFailure> sendAndSettle(PartitionPipelines pipelines,
                                                        Map<TopicPartition, List<PendingWrite>> batches) {
        pipelines.send(batches);
        return pipelines.settleAll().failures();
    }

    @Test
    void onePipelinePerPartitionInOffsetOrder() {
        Map<TopicPartition, List<PendingWrite>> batches = new LinkedHashMap<>();
        batches.put(new TopicPartition("t", 0), List.of(set(0, 0, "a"), set(0, 1, "b")));
        batches.put(new TopicPartition("t", 1), List.of(set(1, 0, "c")));

        List<PartitionFailure> failures = sendAndSettle(pipelines, batches);

        assertThat(failures).isEmpty();
        assertThat(redis.pipelinesSent).hasSize(2);
        assertThat(redis.pipelinesSent.get(0)).extracting(w -> w.recordId().offset()).containsExactly(0L, 1L);
        assertThat(offsets.acknowledgedOffsets())
                .containsEntry(new TopicPartition("t", 0), new OffsetAndMetadata(2))
                .containsEntry(new TopicPartition("t", 1), new OffsetAndMetadata(1));
    }

    @Test
    void aTransientFailureStopsThePartitionAtThatRecord() {
        redis.failKey("b", FailureKind.TRANSIENT, "OOM command not allowed when used memory > 'maxmemory'.", 1);
        Map<TopicPartition, List<PendingWrite>> batches = new LinkedHashMap<>();
        batches.put(new TopicPartition("t", 0), List.of(set(0, 0, "a"), set(0, 1, "b"), set(0, 2, "c")));
        batches.put(new TopicPartition("t", 1), List.of(set(1, 0, "d")));

        List<PartitionFailure> failures = sendAndSettle(pipelines, batches);

        assertThat(failures).singleElement().satisfies(f -> {
            assertThat(f.partition()).isEqualTo(new TopicPartition("t", 0));
            assertThat(f.firstFailed().offset()).isEqualTo(1);
            assertThat(f.reason()).startsWith("OOM");
        });
        // c succeeded in Redis, but must be sent again after b, so it is not acknowledged
        assertThat(offsets.needsWrite(new RecordId("t", 0, 2))).isTrue();
        assertThat(offsets.acknowledgedOffsets())
                .containsEntry(new TopicPartition("t", 0), new OffsetAndMetadata(1))
                .containsEntry(new TopicPartition("t", 1), new OffsetAndMetadata(1));
    }

    @Test
    void aPermanentRejectionIsSettledByTheHandlerAndTheRestFlows() {
        redis.failKey("b", FailureKind.PERMANENT, FakeRedisWriteSender.KEY_OUTSIDE_ACL, 1);
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0),
                List.of(set(0, 0, "a"), set(0, 1, "b"), set(0, 2, "c")));

        assertThat(sendAndSettle(pipelines, batches)).isEmpty();

        assertThat(rejected).containsExactly("topic=t partition=0 offset=1 " + FakeRedisWriteSender.KEY_OUTSIDE_ACL);
        assertThat(offsets.acknowledgedOffsets()).containsEntry(new TopicPartition("t", 0), new OffsetAndMetadata(3));
        assertThat(redis.data).containsKeys("a", "c");
    }

    @Test
    void anExactlyOnceAppendRefusedForGoodIsSettledAndThePartitionIsWrittenAgainFromTheNextOffsetAtOnce() {
        redis.failKey("b", FailureKind.PERMANENT, "WRONGTYPE Operation against a key holding the wrong kind of value", 1);
        TopicPartition partition = new TopicPartition("t", 0);
        pipelines.send(Map.of(partition, List.of(append(0, "a", true), append(1, "b", true), append(2, "b", true))));
        pipelines.send(Map.of(partition, List.of(append(3, "b", true)))); // chained to offset 1 too, already on the wire

        assertThat(pipelines.settleAll().failures()).singleElement().satisfies(f -> {
            assertThat(f.partition()).isEqualTo(partition);
            assertThat(f.firstFailed().offset()).isEqualTo(2);
            assertThat(f.countsAsRetry()).isFalse();
            assertThat(f.reason()).contains("offset 1", "WRONGTYPE");
        });
        assertThat(rejected).containsExactly("topic=t partition=0 offset=1 WRONGTYPE Operation against a key holding the "
                + "wrong kind of value");
        assertThat(offsets.acknowledgedOffsets()).containsEntry(partition, new OffsetAndMetadata(2));
        assertThat(pipelines.recordsInFlight(partition)).as("the later pipeline is abandoned").isZero();
    }

    @Test
    void anAtLeastOnceAppendRefusedForGoodIsSettledAndTheRestFlows() {
        redis.failKey("b", FailureKind.PERMANENT, "WRONGTYPE Operation against a key holding the wrong kind of value", 1);
        TopicPartition partition = new TopicPartition("t", 0);

        assertThat(sendAndSettle(pipelines, Map.of(partition, List.of(append(0, "a", false), append(1, "b", false),
                append(2, "b", false))))).isEmpty();

        assertThat(rejected).hasSize(1);
        assertThat(offsets.acknowledgedOffsets()).containsEntry(partition, new OffsetAndMetadata(3));
    }

    private PendingWrite append(long offset, String key, boolean exactlyOnce) {
        RecordId id = new RecordId("t", 0, offset);
        offsets.register(id);
        byte[] value = {(byte) 0xF5};
        return new PendingWrite(TestRecords.record().offset(offset).build(), new RedisWrite.Append(id,
                key.getBytes(StandardCharsets.UTF_8), RedisWrite.AppendCommand.RPUSH, value, 1, List.of(value), 0, 0, 0,
                exactlyOnce ? "marks:{x}".getBytes(StandardCharsets.UTF_8) : null, RedisWrite.Append.ANY_PREVIOUS));
    }

    @Test
    void aReplyAboutASettingFailsTheTaskAtThatRecord() {
        redis.failKey("b", FailureKind.FATAL, "ERR invalid expire time in 'set' command (every record would be refused alike: lower ttl.ms)", 1);
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0),
                List.of(set(0, 0, "a"), set(0, 1, "b"), set(0, 2, "c")));

        assertThatThrownBy(() -> sendAndSettle(pipelines, batches))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("topic=t partition=0 offset=1")
                .hasMessageContaining("ttl.ms");
        assertThat(rejected).isEmpty();
        assertThat(offsets.acknowledgedOffsets()).containsEntry(new TopicPartition("t", 0), new OffsetAndMetadata(1));
    }

    @Test
    void aSenderThatAnswersFewerWritesThanItWasGivenFailsLoudly() {
        RedisWriteSender shortChanged = new RedisWriteSender() {
            @Override
            public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
                return CompletableFuture.completedFuture(List.of(WriteResult.acknowledged(writes.get(0))));
            }

            @Override
            public void close() {
            }
        };
        PartitionPipelines pipelines = new PartitionPipelines(shortChanged, offsets, (w, r, c) -> { }, Duration.ofSeconds(5),
                new SinkMetrics());
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0), List.of(set(0, 0, "a"), set(0, 1, "b")));

        assertThatThrownBy(() -> sendAndSettle(pipelines, batches))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("1 results for a pipeline of 2 writes");
        assertThat(offsets.acknowledgedOffsets()).isEmpty();
    }
    private PendingWrite delete(int partition, long offset, String key) {
        RecordId id = new RecordId("t", partition, offset);
        offsets.register(id);
        return new PendingWrite(TestRecords.record().partition(partition).offset(offset).tombstone().build(),
                new RedisWrite.DeleteKey(id, key.getBytes(StandardCharsets.UTF_8)));
    }

    /** A sender whose pipeline ends as the given future does. */
    private PartitionPipelines answeredWith(CompletableFuture<List<WriteResult>> replies, Duration replyTimeout) {
        RedisWriteSender sender = new RedisWriteSender() {
            @Override
            public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
                return replies;
            }

            @Override
            public void close() {
            }
        };
        return new PartitionPipelines(sender, offsets, (w, r, c) -> rejected.add(r), replyTimeout, metrics);
    }

    @Test
    void aPartitionWithNothingToWriteSendsNoPipeline() {
        Map<TopicPartition, List<PendingWrite>> batches = new LinkedHashMap<>();
        batches.put(new TopicPartition("t", 0), List.of());
        batches.put(new TopicPartition("t", 1), List.of(set(1, 0, "c")));

        assertThat(pipelines.send(batches)).extracting(PartitionPipelines.InFlight::partition).containsExactly(new TopicPartition("t", 1));
        assertThat(redis.pipelinesSent).hasSize(1);
    }

    @Test
    void aPipelineWithoutAReplyInTimeIsRetriedFromItsFirstRecordAndNothingOfItIsCommitted() {
        PartitionPipelines silent = answeredWith(new CompletableFuture<>(), Duration.ofMillis(50));
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0), List.of(set(0, 4, "a"), set(0, 5, "b")));

        assertThat(sendAndSettle(silent, batches)).singleElement().satisfies(f -> {
            assertThat(f.partition()).isEqualTo(new TopicPartition("t", 0));
            assertThat(f.firstFailed()).isEqualTo(new RecordId("t", 0, 4));
            assertThat(f.reason()).isEqualTo("no reply from Redis within 50 ms");
        });
        assertThat(offsets.acknowledgedOffsets()).isEmpty();
        assertThat(metrics.snapshot().pipelines()).as("a pipeline that never completed").isZero();
    }

    @Test
    void aPipelineThatFailedAsAWholeIsRetriedFromItsFirstRecordWithTheCauseKept() {
        IllegalStateException connectionLost = new IllegalStateException("Connection closed");
        PartitionPipelines broken = answeredWith(CompletableFuture.failedFuture(connectionLost), Duration.ofSeconds(5));
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0), List.of(set(0, 4, "a"), set(0, 5, "b")));

        assertThat(sendAndSettle(broken, batches)).singleElement().satisfies(f -> {
            assertThat(f.firstFailed()).isEqualTo(new RecordId("t", 0, 4));
            assertThat(f.reason()).contains("Connection closed");
            assertThat(f.cause()).isSameAs(connectionLost);
        });
        assertThat(offsets.acknowledgedOffsets()).isEmpty();
    }

    @Test
    void anInterruptWhileWaitingRetriesThePartitionAndKeepsTheThreadInterrupted() {
        PartitionPipelines silent = answeredWith(new CompletableFuture<>(), Duration.ofSeconds(30));
        Map<TopicPartition, List<PendingWrite>> batches = Map.of(new TopicPartition("t", 0), List.of(set(0, 4, "a")));
        silent.send(batches);

        Thread.currentThread().interrupt();
        List<PartitionFailure> failures;
        try {
            failures = silent.settleAll().failures();
        } finally {
            assertThat(Thread.interrupted()).as("the worker's interrupt is not swallowed").isTrue();
        }
        assertThat(failures).singleElement().satisfies(f -> {
            assertThat(f.firstFailed()).isEqualTo(new RecordId("t", 0, 4));
            assertThat(f.reason()).isEqualTo("interrupted while waiting for Redis");
        });
        assertThat(offsets.acknowledgedOffsets()).isEmpty();
    }

    @Test
    void anAppendAppliedBeforeIsAcknowledgedAndCountedAsADuplicateNotAsAValueWritten() {
        RedisWriteSender marks = new RedisWriteSender() {
            @Override
            public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
                // offset 0 was applied before the redelivery, offset 1 is new
                return CompletableFuture.completedFuture(List.of(WriteResult.duplicate(writes.get(0)),
                        WriteResult.acknowledged(writes.get(1))));
            }

            @Override
            public void close() {
            }
        };
        PartitionPipelines redelivered = new PartitionPipelines(marks, offsets, (write, reply, cause) -> { },
                Duration.ofSeconds(5), metrics);
        TopicPartition partition = new TopicPartition("t", 0);

        assertThat(sendAndSettle(redelivered, Map.of(partition, List.of(append(0, "a", true), append(1, "a", true)))))
                .isEmpty();

        assertThat(offsets.acknowledgedOffsets()).containsEntry(partition, new OffsetAndMetadata(2));
        assertThat(metrics.snapshot().valuesWritten()).isEqualTo(1);
        assertThat(metrics.snapshot().duplicatesSkipped()).isEqualTo(1);
    }

    @Test
    void whatIsAcknowledgedRejectedAndCompletedIsCounted() {
        redis.failKey("b", FailureKind.PERMANENT, FakeRedisWriteSender.KEY_OUTSIDE_ACL, 1);
        Map<TopicPartition, List<PendingWrite>> batches = new LinkedHashMap<>();
        batches.put(new TopicPartition("t", 0), List.of(set(0, 0, "a"), set(0, 1, "b"), delete(0, 2, "a")));
        batches.put(new TopicPartition("t", 1), List.of(set(1, 0, "c")));

        long startedNanos = System.nanoTime();
        assertThat(sendAndSettle(pipelines, batches)).isEmpty();
        long elapsedMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startedNanos);

        SinkMetrics.Snapshot counted = metrics.snapshot();
        assertThat(counted.valuesWritten()).isEqualTo(2);
        assertThat(counted.keysDeleted()).isEqualTo(1);
        assertThat(counted.rejectedByRedis()).isEqualTo(1);
        assertThat(counted.pipelines()).isEqualTo(2);
        assertThat(counted.maxPipelineMicros()).as("from send to last reply").isBetween(0L, elapsedMicros);
        assertThat(redis.data).containsOnlyKeys("c");
    }

    @Test
    void settlingWithoutWaitingTakesOnlyWhatIsInAndNeverALaterPipelineBeforeAnEarlierOne() {
        ManualSender manual = new ManualSender();
        List<CompletableFuture<List<WriteResult>>> replies = manual.replies;
        List<List<RedisWrite>> sent = manual.sent;
        PartitionPipelines inFlight = new PartitionPipelines(manual, offsets, (w, r, c) -> { }, Duration.ofSeconds(30), metrics);
        TopicPartition p0 = new TopicPartition("t", 0);
        inFlight.send(Map.of(p0, List.of(set(0, 0, "a"))));
        inFlight.send(Map.of(p0, List.of(set(0, 1, "b"))));
        assertThat(inFlight.recordsInFlight(p0)).isEqualTo(2);

        replies.get(1).complete(List.of(WriteResult.acknowledged(sent.get(1).get(0))));
        assertThat(inFlight.settleReady().succeeded()).as("the first is not in yet").isEmpty();
        assertThat(offsets.acknowledgedOffsets()).isEmpty();

        replies.get(0).complete(List.of(WriteResult.acknowledged(sent.get(0).get(0))));
        assertThat(inFlight.settleReady().succeeded()).containsExactly(p0);
        assertThat(offsets.acknowledgedOffsets()).containsEntry(p0, new OffsetAndMetadata(2));
        assertThat(inFlight.isEmpty()).isTrue();
        assertThat(inFlight.bytesInFlight()).isZero();
    }

    /** A sender whose replies the test completes, one future per pipeline, in the order sent. */
    static final class ManualSender implements RedisWriteSender {
        final List<CompletableFuture<List<WriteResult>>> replies = new ArrayList<>();
        final List<List<RedisWrite>> sent = new ArrayList<>();

        @Override
        public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
            CompletableFuture<List<WriteResult>> reply = new CompletableFuture<>();
            replies.add(reply);
            sent.add(writes);
            return reply;
        }

        void acknowledge(int pipeline) {
            replies.get(pipeline).complete(sent.get(pipeline).stream().map(WriteResult::acknowledged).toList());
        }

        @Override
        public void close() {
        }
    }

    /** What PartitionPipelines counts for a write of {@link #set}: the objects, its key, its value, its original. */
    private static long estimate(String key) {
        return PartitionPipelines.RECORD_OVERHEAD_BYTES + key.length() + 1 + 1;
    }

    @Test
    void whatIsInFlightIsCountedUntilItIsSettledAbandonedOrLeftBehindAFailure() {
        ManualSender manual = new ManualSender();
        PartitionPipelines inFlight = new PartitionPipelines(manual, offsets, (w, r, c) -> { }, Duration.ofSeconds(30), metrics);
        TopicPartition p0 = new TopicPartition("t", 0);
        TopicPartition p1 = new TopicPartition("t", 1);
        Map<TopicPartition, List<PendingWrite>> first = new LinkedHashMap<>();
        first.put(p0, List.of(set(0, 0, "a"), set(0, 1, "bb")));
        first.put(p1, List.of(set(1, 0, "ccc")));
        inFlight.send(first);
        assertThat(inFlight.recordsInFlight(p0)).isEqualTo(2);
        assertThat(inFlight.recordsInFlight(p1)).isEqualTo(1);
        assertThat(inFlight.bytesInFlight()).isEqualTo(estimate("a") + estimate("bb") + estimate("ccc"));

        inFlight.abandon(List.of(p1)); // revoked
        assertThat(inFlight.partitionsInFlight()).containsExactly(p0);
        assertThat(inFlight.bytesInFlight()).isEqualTo(estimate("a") + estimate("bb"));

        inFlight.send(Map.of(p0, List.of(set(0, 2, "d"))));
        assertThat(inFlight.recordsInFlight(p0)).isEqualTo(3);
        manual.replies.get(0).complete(List.of(WriteResult.acknowledged(manual.sent.get(0).get(0)),
                WriteResult.failed(manual.sent.get(0).get(1), FailureKind.TRANSIENT, "LOADING", null)));
        assertThat(inFlight.settleReady().failures()).singleElement()
                .satisfies(f -> assertThat(f.firstFailed().offset()).isEqualTo(1));
        // the pipeline behind the failure is abandoned with it: nothing of the partition is in flight any more
        assertThat(inFlight.recordsInFlight(p0)).isZero();
        assertThat(inFlight.bytesInFlight()).isZero();
        assertThat(inFlight.isEmpty()).isTrue();
    }
}
