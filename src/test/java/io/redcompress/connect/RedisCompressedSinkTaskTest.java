package io.redcompress.connect;

import static io.redcompress.connect.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.pipeline.FakeRedisWriteSender;
import io.redcompress.connect.redis.FailureKind;
import io.redcompress.connect.redis.RedisWriteSender;
import io.redcompress.connect.redis.WriteResult;
import io.redcompress.connect.testing.LogCapture;

class RedisCompressedSinkTaskTest {

    private static final TopicPartition P0 = new TopicPartition("devices", 0);
    private static final TopicPartition P1 = new TopicPartition("devices", 1);

    private final FakeRedisWriteSender redis = new FakeRedisWriteSender();
    private final RedisCompressedSinkTask task = new RedisCompressedSinkTask(config -> redis);

    private FakeSinkTaskContext start(boolean deadLetterQueue, Map<String, String> extra) {
        FakeSinkTaskContext context = new FakeSinkTaskContext(deadLetterQueue);
        task.initialize(context);
        Map<String, String> props = new HashMap<>(Map.of("key.template", "${key}", "max.retries", "2",
                "retry.backoff.ms", "100", "retry.backoff.max.ms", "150"));
        props.putAll(extra);
        task.start(props);
        return context;
    }

    /**
     * What Connect has consumed, as WorkerSinkTask keeps it: every assigned partition from its start position,
     * advanced only by a put() that returned.
     */
    private final Map<TopicPartition, OffsetAndMetadata> consumed =
            new HashMap<>(Map.of(P0, new OffsetAndMetadata(0), P1, new OffsetAndMetadata(0)));

    /**
     * A put() of the records, then the put() of the next, empty poll, in which the task settles the replies that came
     * in meanwhile (this fake sender answers at once).
     */
    private void put(List<SinkRecord> records) {
        task.put(records);
        records.forEach(r -> consumed.merge(new TopicPartition(r.originalTopic(), r.originalKafkaPartition()),
                new OffsetAndMetadata(r.originalKafkaOffset() + 1), (a, b) -> a.offset() >= b.offset() ? a : b));
        task.put(List.of());
    }

    private Map<TopicPartition, OffsetAndMetadata> commit() {
        return task.preCommit(consumed);
    }

    private String stored(String key) {
        byte[] value = redis.data.get(key);
        return value == null ? null : new String(ValueDecoder.decode(value), StandardCharsets.UTF_8);
    }

    @Test
    void writesCompressedValuesAndCommitsWhatRedisAcknowledged() {
        start(true, Map.of());
        put(List.of(record().key("a").value("{\"t\":1}").offset(0).build(),
                record().key("b").value("{\"t\":2}").offset(1).build(),
                record().key("c").value("{\"t\":3}").partition(1).offset(5).build()));

        assertThat(stored("a")).isEqualTo("{\"t\":1}");
        assertThat(stored("c")).isEqualTo("{\"t\":3}");
        assertThat(redis.pipelinesSent).hasSize(2);
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2)).containsEntry(P1, new OffsetAndMetadata(6));
    }

    @Test
    void aTombstoneAfterAWriteInOnePollLeavesTheKeyAbsent() {
        start(true, Map.of());
        put(List.of(record().key("k").value("v1").offset(0).build(), record().key("k").tombstone().offset(1).build()));
        assertThat(redis.data).doesNotContainKey("k");
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2));
    }

    @Test
    void undecodableRecordsGoToTheDeadLetterQueueAndTheRestFlows() {
        FakeSinkTaskContext context = start(true, Map.of());
        SinkRecord noKey = record().key(null).value("x").offset(1).build();
        put(List.of(record().key("a").value("1").offset(0).build(), noKey, record().key("b").value("2").offset(2).build()));

        assertThat(context.reports).singleElement().satisfies(r -> {
            assertThat(r.record()).isSameAs(noKey);
            assertThat(r.error()).hasMessageContaining("topic=devices partition=0 offset=1").hasMessageContaining("record key is null");
        });
        assertThat(redis.data).containsOnlyKeys("a", "b");
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(3));
    }

    @Test
    void withoutADeadLetterQueueAnUndecodableRecordFailsTheTaskWithTheSettingsToAdd() {
        start(false, Map.of());
        assertThatThrownBy(() -> put(List.of(record().key(null).offset(4).build())))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("topic=devices partition=0 offset=4")
                .hasMessageContaining("errors.tolerance=all")
                .hasMessageContaining("errors.deadletterqueue.topic.name");
        assertThat(commit()).doesNotContainKey(P0);
    }

    /** What WorkerSinkTask does with the task's rewinds at its next poll: its consumed offsets go back too. */
    private void connectRewinds(FakeSinkTaskContext context) {
        context.rewinds.forEach((tp, offset) -> consumed.put(tp, new OffsetAndMetadata(offset)));
        context.rewinds.clear();
    }

    private static void waitOutBackoff(FakeSinkTaskContext context) throws InterruptedException {
        Thread.sleep(context.lastTimeoutMs + 20);
    }

    @Test
    void aTransientFailurePausesAndRewindsOnlyThatPartitionWhileTheOthersFlow() throws InterruptedException {
        FakeSinkTaskContext context = start(true, Map.of());
        redis.failKey("b", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        SinkRecord a = record().key("a").value("1").offset(0).build();
        SinkRecord b = record().key("b").value("2").offset(1).build();
        SinkRecord c = record().key("c").value("3").offset(2).build();
        SinkRecord d = record().key("d").value("4").partition(1).offset(0).build();

        put(List.of(a, b, c, d)); // returns: no RetriableException, so Connect neither sleeps nor pauses every partition

        assertThat(context.paused).containsExactly(P0);
        assertThat(context.rewinds).containsExactly(Map.entry(P0, 1L));
        assertThat(context.lastTimeoutMs).as("jittered retry.backoff.ms").isBetween(50L, 100L);
        assertThat(commit()).as("the acknowledged run, never past a failure")
                .containsEntry(P0, new OffsetAndMetadata(1)).containsEntry(P1, new OffsetAndMetadata(1));
        connectRewinds(context);
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(1));

        // records of P0 still arriving during its backoff are neither written nor settled: the rewind delivers them again
        int sentBefore = redis.writesSent();
        put(List.of(c, record().key("e").value("5").partition(1).offset(1).build()));
        assertThat(redis.writesSent() - sentBefore).as("only P1's record").isEqualTo(1);
        assertThat(context.resumed).isEmpty();

        waitOutBackoff(context);
        put(List.of(b, c)); // redelivered from the rewound offset once put() resumed P0
        assertThat(context.resumed).containsExactly(P0);
        assertThat(redis.pipelinesSent.get(redis.pipelinesSent.size() - 1))
                .extracting(w -> new String(w.key(), StandardCharsets.UTF_8)).containsExactly("b", "c");
        assertThat(redis.writesSent() - sentBefore).isEqualTo(3);
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(3)).containsEntry(P1, new OffsetAndMetadata(2));
    }

    @Test
    void whenRetriesRunOutTheTaskFailsNamingPartitionOffsetAndCause() throws InterruptedException {
        FakeSinkTaskContext context = start(true, Map.of());
        redis.failKey("a", FailureKind.TRANSIENT, "OOM command not allowed", 10);
        List<SinkRecord> batch = List.of(record().key("a").value("1").offset(7).build());

        put(batch);
        assertThat(context.lastTimeoutMs).isBetween(50L, 100L);
        waitOutBackoff(context);
        put(batch);
        assertThat(context.lastTimeoutMs).as("doubled, capped at retry.backoff.max.ms, jittered").isBetween(75L, 150L);
        waitOutBackoff(context);
        assertThatThrownBy(() -> put(batch))
                .isInstanceOf(ConnectException.class)
                .isNotInstanceOf(RetriableException.class)
                .hasMessageContaining("partition devices-0 at offset 7")
                .hasMessageContaining("after 2 retries: OOM command not allowed")
                .hasMessageContaining("max.retries");
        assertThat(redis.writesSent()).isEqualTo(3);
        assertThat(commit()).doesNotContainKey(P0);
    }

    @Test
    void aReplyAboutASettingFailsTheTaskAndSendsNoRecordToTheDeadLetterQueue() {
        FakeSinkTaskContext context = start(true, Map.of());
        redis.failKey("a", FailureKind.FATAL, "NOPERM this user has no permissions to run the 'set' command (every record "
                + "would be refused alike: grant the ACL user of redis.username the command)", 1);
        assertThatThrownBy(() -> put(List.of(record().key("a").value("1").offset(0).build(),
                record().key("b").value("2").offset(1).build())))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("topic=devices partition=0 offset=0")
                .hasMessageContaining("redis.username");
        assertThat(context.reports).isEmpty();
        assertThat(commit()).doesNotContainKey(P0);
    }

    @Test
    void permanentRejectionsGoToTheDeadLetterQueueWithRedisReply() {
        FakeSinkTaskContext context = start(true, Map.of());
        redis.failKey("b", FailureKind.PERMANENT, FakeRedisWriteSender.KEY_OUTSIDE_ACL, 1);
        put(List.of(record().key("a").value("1").offset(0).build(), record().key("b").value("2").offset(1).build()));
        assertThat(context.reports).singleElement()
                .satisfies(r -> assertThat(r.error()).hasMessageContaining("offset=1").hasMessageContaining("NOPERM"));
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2));
    }

    @Test
    void permanentRejectionsFailTheTaskWhenConfiguredSo() {
        start(true, Map.of("behavior.on.rejected.writes", "fail"));
        redis.failKey("b", FailureKind.PERMANENT, "NOPERM this user has no permissions to access one of the keys", 1);
        assertThatThrownBy(() -> put(List.of(record().key("b").value("2").offset(3).build())))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("offset=3").hasMessageContaining("NOPERM");
        assertThat(commit()).doesNotContainKey(P0);
    }

    @Test
    void aPartitionThatComesBackAfterARebalanceIsWrittenAgainFromWhereConnectRedelivers() {
        start(true, Map.of());
        SinkRecord a = record().key("a").value("mine").offset(0).build();
        put(List.of(a));
        task.close(List.of(P0)); // revoked before its offset was committed
        // the task that owned P0 meanwhile wrote something else; P0 comes back and Connect redelivers offset 0
        redis.data.put("a", redis.data.get("a").clone());
        redis.data.get("a")[redis.data.get("a").length - 1] ^= 1;
        task.open(List.of(P0));
        put(List.of(a));
        assertThat(redis.writesSent()).as("written again, not skipped as settled").isEqualTo(2);
        assertThat(stored("a")).isEqualTo("mine");
    }

    @Test
    void aPartitionRevokedWhileBackingOffIsNeverResumedByTheTaskAndComesBackWithAFreshBudget() throws InterruptedException {
        // a second retry's backoff (100-200 ms) cannot be mistaken for a first one's (50-99 ms)
        FakeSinkTaskContext context = start(true, Map.of("retry.backoff.max.ms", "1000"));
        context.assignment.addAll(List.of(P0, P1));
        SinkRecord a = record().key("a").value("1").offset(0).build();
        redis.failKey("a", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 2);
        put(List.of(a));
        assertThat(context.paused).containsExactly(P0);

        task.close(List.of(P0));
        context.assignment.remove(P0);
        waitOutBackoff(context);
        put(List.of()); // resuming a partition the task no longer owns throws in a real worker
        assertThat(context.resumed).isEmpty();

        context.assignment.add(P0);
        task.open(List.of(P0));
        put(List.of(a));
        assertThat(context.lastTimeoutMs).as("the first retry's backoff again").isBetween(50L, 99L);
    }

    @Test
    void stopClosesRedis() {
        start(true, Map.of());
        task.stop();
        assertThat(redis.closed).isTrue();
    }

    @Test
    void offsetsAreKeyedByTheOriginalTopicWhenAnSmtRenamesIt() {
        FakeSinkTaskContext context = start(true, Map.of());
        redis.failKey("b", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        List<SinkRecord> renamed = new ArrayList<>();
        for (SinkRecord original : List.of(record().key("a").value("1").offset(0).build(), record().key("b").value("2").offset(1).build())) {
            renamed.add(original.newRecord("renamed", 0, original.keySchema(), original.key(), original.valueSchema(),
                    original.value(), original.timestamp()));
        }
        task.put(renamed);
        // Connect keys currentOffsets, rewinds and pauses by the original topic too: a tracker keyed by "renamed"
        // would see nothing pending for devices-0 and commit Connect's consumed offset, past the failed record
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).containsExactly(Map.entry(P0, new OffsetAndMetadata(1)));
        task.put(List.of()); // a failure found by preCommit is rewound by the next put()
        assertThat(context.rewinds).containsExactly(Map.entry(P0, 1L));
    }

    @Test
    void aFailureFoundWhileConnectCommitsForARevocationIsNeverRewoundOnceThePartitionIsGone() {
        FakeSinkTaskContext context = start(true, Map.of());
        context.assignment.addAll(List.of(P0, P1));
        redis.failKey("a", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        redis.failKey("b", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        task.put(List.of(record().key("a").value("1").offset(0).build(), record().key("b").value("2").partition(1).offset(0).build()));
        // Connect revokes P0: it asks for the offsets (the pipelines settle there and fail), then closes the partition
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(1), P1, new OffsetAndMetadata(1))))
                .doesNotContainKeys(P0, P1);
        task.close(List.of(P0));
        context.assignment.remove(P0);
        task.put(List.of());
        // a rewind of P0 would make Connect seek a partition it no longer has at its next poll, failing the task; P1,
        // still this task's, is rewound and backs off
        assertThat(context.rewinds).containsExactly(Map.entry(P1, 0L));
        assertThat(context.paused).containsExactly(P1);
    }

    @Test
    void aSettingLevelRefusalFoundByTheCommitFailsTheTaskAtTheNextPutAndCommitsNothing() {
        start(true, Map.of());
        redis.failKey("a", FailureKind.FATAL, "NOPERM this user has no permissions to run the 'set' command", 1);
        task.put(List.of(record().key("a").value("1").offset(0).build()));
        // Connect would catch an exception here, rewind and keep the task running
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(1)))).isEmpty();
        assertThatThrownBy(() -> task.put(List.of(record().key("a").value("1").offset(0).build())))
                .isInstanceOf(ConnectException.class).hasMessageContaining("topic=devices partition=0 offset=0")
                .hasMessageContaining("concerns a setting");
    }

    @Test
    void aWriteToBeSentAgainAfterARefusedBatchCostsNoRetryNorBackoff() {
        FakeSinkTaskContext context = start(true, Map.of("max.retries", "0"));
        redis.failKey("b", FailureKind.RESEND, "MSET failed: NOPERM this user has no permissions to run the 'mset' command", 1);
        SinkRecord a = record().key("a").value("1").offset(0).build();
        SinkRecord b = record().key("b").value("2").offset(1).build();
        put(List.of(a, b));
        assertThat(context.rewinds).containsEntry(P0, 1L);
        assertThat(context.lastTimeoutMs).as("at once, not after retry.backoff.ms").isEqualTo(1);
        connectRewinds(context);
        put(List.of(b)); // the redelivery, one poll later: max.retries=0 is not spent
        assertThat(stored("b")).isEqualTo("2");
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2));
    }

    @Test
    void anExactlyOnceAppendRefusedForGoodIsDeadLetteredAndTheLaterAppendsToItsSlotGoOnAtOnce() {
        FakeSinkTaskContext context = start(true, Map.of("redis.command", "rpush", "max.retries", "0"));
        // another writer's string at "b": the first append there is refused for good, and its mark is not raised
        redis.failKey("b", FailureKind.PERMANENT, "WRONGTYPE Operation against a key holding the wrong kind of value", 1);
        SinkRecord b1 = record().key("b").value("1").offset(1).build();
        SinkRecord b2 = record().key("b").value("2").offset(2).build();
        SinkRecord a3 = record().key("a").value("3").offset(3).build();
        put(List.of(record().key("a").value("0").offset(0).build(), b1, b2, a3));
        assertThat(appendOf(redis.pipelinesSent.get(0).get(2)).previousOffset()).as("offset 2, chained to the refused 1")
                .isEqualTo(1);

        assertThat(context.reports).singleElement().satisfies(r -> assertThat(r.record()).isSameAs(b1));
        // Redis would refuse offset 2 until the mark reached 1 (GAP), which it never does: the partition is written
        // again from offset 2 at once, not after a backoff, and max.retries=0 is not spent
        assertThat(context.rewinds).containsEntry(P0, 2L);
        assertThat(context.lastTimeoutMs).as("at once, not after retry.backoff.ms").isEqualTo(1);
        connectRewinds(context);
        put(List.of(b2, a3));
        List<RedisWrite> again = redis.pipelinesSent.get(redis.pipelinesSent.size() - 1);
        assertThat(again).extracting(w -> w.recordId().offset()).containsExactly(2L, 3L);
        assertThat(appendOf(again.get(0)).previousOffset()).as("a new chain").isEqualTo(RedisWrite.Append.ANY_PREVIOUS);
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(4));
    }

    private static RedisWrite.Append appendOf(RedisWrite write) {
        return (RedisWrite.Append) write;
    }

    @Test
    void aPartitionPausedWhenRevokedIsResumedWhenItComesBackToTheTask() {
        FakeSinkTaskContext context = start(true, Map.of("max.in.flight.records.per.partition", "1"));
        context.assignment.addAll(List.of(P0, P1));
        CompletableFuture<Void> never = new CompletableFuture<>();
        redis.holdReplies(never);
        task.put(List.of(record().key("a").value("1").offset(0).build(), record().key("b").value("2").offset(1).build()));
        assertThat(context.paused).as("two in flight, over a bound of one").containsExactly(P0);

        task.close(List.of(P0, P1));
        // Connect keeps the partitions a task paused in its own set and pauses them again when they are assigned anew
        task.open(List.of(P0, P1));
        assertThat(context.paused).as("nothing this task holds paused stays paused").isEmpty();
        never.complete(null);
    }

    @Test
    void recordsDroppedBeforeTheTaskDoNotHoldTheCommitBack() {
        start(true, Map.of());
        put(List.of(record().key("a").value("1").offset(0).build()));
        // offset 1 was malformed JSON: the converter sent it to the dead-letter topic and put() never saw it
        consumed.put(P0, new OffsetAndMetadata(2));
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2));
    }

    /**
     * A Redis whose replies arrive {@code delayMillis} later, on another thread, as they do from Lettuce; it counts
     * the writes outstanding and their most at once.
     */
    private static final class DelayedRedis implements RedisWriteSender {
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        private final ScheduledExecutorService replies = Executors.newSingleThreadScheduledExecutor();
        private final long delayMillis;
        private final boolean keepsOrder;

        DelayedRedis(long delayMillis, boolean keepsOrder) {
            this.delayMillis = delayMillis;
            this.keepsOrder = keepsOrder;
        }

        @Override
        public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
            maxOutstanding.accumulateAndGet(outstanding.addAndGet(writes.size()), Math::max);
            CompletableFuture<List<WriteResult>> done = new CompletableFuture<>();
            replies.schedule(() -> {
                outstanding.addAndGet(-writes.size());
                done.complete(writes.stream().map(WriteResult::acknowledged).toList());
            }, delayMillis, TimeUnit.MILLISECONDS);
            return done;
        }

        @Override
        public boolean keepsOrderAcrossPipelines() {
            return keepsOrder;
        }

        @Override
        public void close() {
            replies.shutdownNow();
        }
    }

    @Test
    void putReturnsWithoutWaitingForRedisAndAPartitionWithTooMuchInFlightIsPausedUntilHalfIsSettled() throws Exception {
        DelayedRedis slowRedis = new DelayedRedis(200, true);
        AtomicInteger outstanding = slowRedis.outstanding;
        RedisCompressedSinkTask slowTask = new RedisCompressedSinkTask(config -> slowRedis);
        FakeSinkTaskContext context = new FakeSinkTaskContext(true);
        slowTask.initialize(context);
        slowTask.start(Map.of("key.template", "${key}", "max.in.flight.records.per.partition", "150"));
        try {
            for (int poll = 0; poll < 2; poll++) {
                List<SinkRecord> records = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    records.add(record().partition(i % 2).offset(poll * 100L + i / 2).key("k" + poll + "-" + i).value("v").build());
                }
                slowTask.put(records);
                assertThat(outstanding.get()).as("put() returns while its pipelines are in flight").isEqualTo(200 * (poll + 1));
                assertThat(context.paused).as("100 of each partition in flight, then 200: over 150").hasSize(poll == 0 ? 0 : 2);
            }
            assertThat(context.lastTimeoutMs).as("Connect calls put() again soon to settle and resume").isEqualTo(1);
            Thread.sleep(400);
            slowTask.put(List.of());
            assertThat(context.paused).as("settled: resumed").isEmpty();
            assertThat(context.resumed).containsExactlyInAnyOrder(P0, P1);
            assertThat(slowTask.preCommit(Map.of(P0, new OffsetAndMetadata(200), P1, new OffsetAndMetadata(200))))
                    .containsEntry(P0, new OffsetAndMetadata(200)).containsEntry(P1, new OffsetAndMetadata(200));
            assertThat(slowRedis.maxOutstanding.get()).isEqualTo(400);
        } finally {
            slowTask.stop();
        }
    }

    @Test
    void whereRedirectsCanReorderWritesAPartitionHasOnePipelineInFlightAtATime() {
        DelayedRedis clusterLike = new DelayedRedis(50, false);
        AtomicInteger outstanding = clusterLike.outstanding;
        RedisCompressedSinkTask clusterTask = new RedisCompressedSinkTask(config -> clusterLike);
        clusterTask.initialize(new FakeSinkTaskContext(true));
        clusterTask.start(Map.of("key.template", "${key}"));
        try {
            for (int poll = 0; poll < 3; poll++) {
                clusterTask.put(List.of(record().key("k").value("v" + poll).offset(poll).build()));
                assertThat(outstanding.get()).as("the previous pipeline settled before this one went").isEqualTo(1);
            }
            assertThat(clusterLike.maxOutstanding.get()).isEqualTo(1);
        } finally {
            clusterTask.stop();
        }
    }

    @Test
    void preCommitWaitsForWhatIsInFlightSoTheCommitCoversIt() {
        CompletableFuture<List<WriteResult>> reply = new CompletableFuture<>();
        List<RedisWrite> sent = new ArrayList<>();
        RedisWriteSender later = new RedisWriteSender() {
            @Override
            public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
                sent.addAll(writes);
                return reply;
            }

            @Override
            public void close() {
            }
        };
        RedisCompressedSinkTask laterTask = new RedisCompressedSinkTask(config -> later);
        laterTask.initialize(new FakeSinkTaskContext(true));
        laterTask.start(Map.of("key.template", "${key}"));
        laterTask.put(List.of(record().key("a").value("1").offset(0).build(), record().key("b").value("2").offset(1).build()));
        Executors.newSingleThreadScheduledExecutor().schedule(
                () -> reply.complete(sent.stream().map(WriteResult::acknowledged).toList()), 100, TimeUnit.MILLISECONDS);
        assertThat(laterTask.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).containsEntry(P0, new OffsetAndMetadata(2));
        laterTask.stop();
    }

    @Test
    void aFailureAbandonsTheLaterPipelinesOfItsPartitionSoTheyAreWrittenAgainAfterIt() {
        List<List<RedisWrite>> sent = new ArrayList<>();
        List<CompletableFuture<List<WriteResult>>> replies = new ArrayList<>();
        RedisWriteSender answeredByTheTest = new RedisWriteSender() {
            @Override
            public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
                sent.add(writes);
                CompletableFuture<List<WriteResult>> reply = new CompletableFuture<>();
                replies.add(reply);
                return reply;
            }

            @Override
            public void close() {
            }
        };
        AtomicLong now = new AtomicLong();
        RedisCompressedSinkTask manual = new RedisCompressedSinkTask(config -> answeredByTheTest, now::get);
        FakeSinkTaskContext context = new FakeSinkTaskContext(true);
        manual.initialize(context);
        manual.start(Map.of("key.template", "${key}"));
        manual.put(List.of(record().key("a").value("old").offset(0).build()));
        manual.put(List.of(record().key("a").value("new").offset(1).build())); // in flight behind the first
        replies.get(1).complete(List.of(WriteResult.acknowledged(sent.get(1).get(0))));
        replies.get(0).complete(List.of(WriteResult.failed(sent.get(0).get(0), FailureKind.TRANSIENT, "LOADING", null)));
        manual.put(List.of());

        assertThat(context.rewinds).containsEntry(P0, 0L);
        // Redis applied offset 1, but it is not acknowledged: committed, then rewritten before it, it would leave the
        // old value in Redis
        assertThat(manual.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).doesNotContainKey(P0);
        now.addAndGet(TimeUnit.SECONDS.toNanos(2)); // the backoff is over
        manual.put(List.of(record().key("a").value("old").offset(0).build(), record().key("a").value("new").offset(1).build()));
        assertThat(sent.get(2)).extracting(w -> w.recordId().offset()).as("both again, in order").containsExactly(0L, 1L);
        manual.stop();
    }

    @Test
    void aRecordThatMapsToNoWriteIsCommittedWithoutBeingSent() {
        start(true, Map.of("behavior.on.null.values", "ignore"));
        put(List.of(record().key("a").value("1").offset(0).build(), record().key("a").tombstone().offset(1).build()));
        assertThat(redis.writesSent()).isEqualTo(1);
        assertThat(stored("a")).isEqualTo("1");
        // Connect's consumed offset is past both, but the tombstone must be settled for it to be committed
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).containsEntry(P0, new OffsetAndMetadata(2));
        put(List.of(record().key("a").tombstone().offset(2).build(), record().key("b").value("2").offset(3).build()));
        redis.failKey("c", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        put(List.of(record().key("c").value("3").offset(4).build()));
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(5)))).as("ignored tombstone at 2 acknowledged, c pending")
                .containsEntry(P0, new OffsetAndMetadata(4));
    }

    /** Every plugin metric the task published, by name. */
    private static Map<String, Object> pluginMetricValues(Metrics metrics) {
        Map<String, Object> values = new HashMap<>();
        for (KafkaMetric metric : metrics.metrics().values()) {
            values.put(metric.metricName().name(), metric.metricValue());
        }
        return values;
    }

    @Test
    void operatorsSeeWritesDeadLettersRejectionsAndRetriesInThePluginMetrics() throws InterruptedException {
        FakeSinkTaskContext context = new FakeSinkTaskContext(true);
        try (Metrics metrics = new Metrics()) {
            context.pluginMetrics = new PluginMetricsImpl(metrics, Map.of("connector", "redis", "task", "0"));
            task.initialize(context);
            task.start(Map.of("key.template", "${key}"));

            put(List.of(record().key("a").value("1").offset(0).build(), record().key(null).value("x").offset(1).build()));
            assertThat(pluginMetricValues(metrics)).containsEntry("values-written-total", 1L)
                    .containsEntry("dead-lettered-total", 1L).containsEntry("retries-total", 0L);

            redis.failKey("b", FailureKind.PERMANENT, FakeRedisWriteSender.KEY_OUTSIDE_ACL, 1);
            put(List.of(record().key("b").value("2").offset(2).build()));
            assertThat(pluginMetricValues(metrics)).containsEntry("rejected-by-redis-total", 1L)
                    .containsEntry("dead-lettered-total", 2L);

            redis.failKey("c", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
            redis.failKey("d", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
            put(List.of(record().key("c").value("3").offset(3).build(), record().key("d").value("4").partition(1).offset(0).build()));
            assertThat(pluginMetricValues(metrics)).as("one per partition pipeline retried").containsEntry("retries-total", 2L);

            // 64 values of one size that lz4 cannot shrink, then the codec is tried on one in 32 of them only
            List<SinkRecord> incompressible = new ArrayList<>();
            java.util.Random random = new java.util.Random(5);
            for (int i = 0; i < 64 + 32; i++) {
                byte[] value = new byte[200];
                random.nextBytes(value);
                incompressible.add(record().key("r" + i).value(value).partition(2).offset(i).build()); // 0 and 1 back off
            }
            put(incompressible);
            assertThat(pluginMetricValues(metrics)).containsEntry("compression-attempted-total", 64L + 1)
                    .containsEntry("compression-skipped-total", 31L);
        }
    }

    @Test
    void aPartitionGetsItsFullRetryBudgetForEachOutage() throws InterruptedException {
        FakeSinkTaskContext context = start(true, Map.of()); // max.retries=2
        SinkRecord a = record().key("a").value("1").offset(0).build();
        SinkRecord b = record().key("b").value("2").offset(1).build();
        redis.failKey("a", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        put(List.of(a));
        waitOutBackoff(context);
        put(List.of(a)); // went through: the outage is over

        redis.failKey("b", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 2);
        put(List.of(b));
        waitOutBackoff(context);
        put(List.of(b));
        assertThat(context.lastTimeoutMs).as("the second retry of this outage, not the third of the partition").isBetween(75L, 150L);
        waitOutBackoff(context);
        put(List.of(b));
        assertThat(stored("b")).isEqualTo("2");
        assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(2));
    }

    @Test
    void aPartitionWhoseBackoffIsOverIsResumedAtTheNextCommitEvenWithoutAPut() {
        AtomicLong now = new AtomicLong();
        RedisCompressedSinkTask clocked = new RedisCompressedSinkTask(config -> redis, now::get);
        FakeSinkTaskContext context = new FakeSinkTaskContext(true);
        clocked.initialize(context);
        clocked.start(Map.of("key.template", "${key}", "retry.backoff.ms", "100", "retry.backoff.max.ms", "100"));
        redis.failKey("a", FailureKind.TRANSIENT, "LOADING Redis is loading the dataset in memory", 1);
        clocked.put(List.of(record().key("a").value("1").offset(0).build()));
        clocked.put(List.of()); // the next poll's put() settles the failed pipeline
        assertThat(context.paused).containsExactly(P0);

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        clocked.preCommit(Map.of(P0, new OffsetAndMetadata(0)));
        assertThat(context.resumed).containsExactly(P0);
    }

    @Test
    void aSummaryIsLoggedEveryThirtySecondsNotOnEveryPut() {
        AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(5));
        RedisCompressedSinkTask clocked = new RedisCompressedSinkTask(config -> redis, now::get);
        clocked.initialize(new FakeSinkTaskContext(true));
        clocked.start(Map.of("key.template", "${key}"));
        try (LogCapture logs = LogCapture.start()) {
            clocked.put(List.of(record().key("a").value("1").offset(0).build()));
            now.addAndGet(TimeUnit.SECONDS.toNanos(29));
            clocked.put(List.of(record().key("b").value("2").offset(1).build()));
            assertThat(logs.text()).doesNotContain("Since start");

            now.addAndGet(TimeUnit.SECONDS.toNanos(1));
            clocked.put(List.of(record().key("c").value("3").offset(2).build()));
            assertThat(logs.text()).as("c is still in flight").contains("Since start: values written=2");
            clocked.put(List.of(record().key("d").value("4").offset(3).build()));
            assertThat(logs.text().split("Since start", -1)).as("once per 30 s").hasSize(2);
        }
    }

    @Test
    void theStartLineSaysWhetherADeadLetterTopicIsConfigured() {
        try (LogCapture logs = LogCapture.start()) {
            start(false, Map.of());
            assertThat(logs.text()).contains("dead-letter topic not configured");
        }
        RedisCompressedSinkTask withDlq = new RedisCompressedSinkTask(config -> redis);
        withDlq.initialize(new FakeSinkTaskContext(true));
        try (LogCapture logs = LogCapture.start()) {
            withDlq.start(Map.of("key.template", "${key}"));
            assertThat(logs.text()).contains("dead-letter topic configured");
        }
    }

    @Test
    void stopLogsTheTotalsAndIsSafeAfterAStartThatFailedOrNeverHappened() {
        start(true, Map.of());
        put(List.of(record().key("a").value("1").offset(0).build()));
        try (LogCapture logs = LogCapture.start()) {
            task.stop();
            assertThat(logs.text()).contains("Task stopped: values written=1");
        }

        new RedisCompressedSinkTask(config -> redis).stop(); // Connect stops a task whose start() threw

        RedisCompressedSinkTask unreachable = new RedisCompressedSinkTask(config -> {
            throw new IllegalStateException("Connection refused: 127.0.0.1:1");
        });
        unreachable.initialize(new FakeSinkTaskContext(true));
        assertThatThrownBy(() -> unreachable.start(Map.of("key.template", "${key}")))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("Cannot connect to Redis at").hasMessageContaining("Connection refused")
                .hasMessageContaining("redis.uri");
        unreachable.stop();
    }

    @Test
    void theVersionIsTheConnectorsVersion() {
        assertThat(task.version()).isEqualTo(Version.get()).isNotBlank();
    }
    @Test
    void aTaskThatCannotReachRedisFailsAtStartInTheWordsOfValidate() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RedisCompressedSinkTask lettuceTask = new RedisCompressedSinkTask();
        lettuceTask.initialize(new FakeSinkTaskContext(true));
        assertThatThrownBy(() -> lettuceTask.start(Map.of("key.template", "${key}",
                "redis.uri", "redis://127.0.0.1:" + closedPort, "redis.connect.timeout.ms", "1000")))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("Cannot reach Redis at 127.0.0.1:" + closedPort)
                .hasMessageEndingWith("(config key: redis.uri)");
        lettuceTask.stop();
    }

    @Test
    void aPinnedDictionaryThatIsNotStoredStopsTheTaskNamingItsKey() {
        task.useDictionaryStores((config, connector) -> new io.redcompress.connect.dictionary.MemoryDictionaryStore());
        assertThatThrownBy(() -> start(true, Map.of("compression.codec", "zstd", "compression.dictionary", "123456")))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("compression.dictionary=123456")
                .hasMessageContaining("dict:123456 does not exist");
    }

    @Test
    void aPinnedDictionaryCompressesEveryValueAndReadersFindItByTheIdInTheHeader() {
        io.redcompress.connect.dictionary.MemoryDictionaryStore dictionaries = new io.redcompress.connect.dictionary.MemoryDictionaryStore();
        java.util.Random random = new java.util.Random(1);
        java.util.List<byte[]> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            samples.add(io.redcompress.connect.testing.SampleData.heartbeat("d" + i % 20, i, random));
        }
        io.redcompress.connect.codec.ZstdDictionary dictionary =
                io.redcompress.connect.codec.DictionaryTrainer.train(samples, 4096);
        dictionaries.dictionaries.put(dictionary.id(), dictionary.bytes());
        task.useDictionaryStores((config, connector) -> dictionaries);
        start(true, Map.of("compression.codec", "zstd", "compression.dictionary", Long.toString(dictionary.id()),
                "value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"));
        byte[] heartbeat = io.redcompress.connect.testing.SampleData.heartbeat("d1", 1_000, random);
        put(List.of(record().key("a").value(new String(heartbeat, StandardCharsets.UTF_8)).offset(0).build()));

        byte[] stored = redis.data.get("a");
        assertThat(ValueDecoder.header(stored).dictionaryId()).isEqualTo(dictionary.id());
        assertThat(ValueDecoder.builder().dictionaries(io.redcompress.connect.codec.DictionaryResolver.of(dictionary))
                .build().decodeValue(stored)).isEqualTo(heartbeat);
    }

    /**
     * The bucketed layout with trained dictionaries, wired as the worker runs it (the layout's marker in a real
     * redis-server, writes to the fake): a topic's first records wait for its dictionary, unwritten and uncommitted,
     * and are written with it, in order, by a put() without new records once it is stored.
     */
    @Test
    void aBucketedTopicsRecordsWaitForItsDictionaryAndNoCommitPassesThem() throws Exception {
        try (io.redcompress.connect.testing.RedisServerProcess layoutRedis =
                     io.redcompress.connect.testing.RedisServerProcess.builder().start()) {
            io.redcompress.connect.dictionary.MemoryDictionaryStore dictionaries = new io.redcompress.connect.dictionary.MemoryDictionaryStore();
            task.useDictionaryStores((config, connector) -> dictionaries);
            FakeSinkTaskContext context = start(true, Map.of("redis.uri", layoutRedis.uri(), "redis.layout", "buckets",
                    "redis.bucket.prefix", "b:", "redis.bucket.count", "4", "compression.codec", "zstd",
                    "compression.dictionary", "auto", "compression.dictionary.samples", "100"));
            java.util.Random random = new java.util.Random(5);
            List<SinkRecord> heartbeats = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                byte[] value = io.redcompress.connect.testing.SampleData.heartbeat("d" + i % 40, i, random);
                heartbeats.add(record().key("d" + i % 40).value(new String(value, StandardCharsets.UTF_8)).offset(i).build());
            }
            put(heartbeats);
            assertThat(redis.writesSent()).as("held").isZero();
            assertThat(commit()).as("nothing of a partition whose records are held").doesNotContainKey(P0);
            assertThat(context.paused).as("its 100 samples taken: paused while the dictionary is trained").contains(P0);
            assertThat(context.lastTimeoutMs).isNotNull().isLessThanOrEqualTo(10L);

            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                task.put(List.of()); // what the worker does within the timeout asked for, without new records
                return redis.writesSent() == 150;
            });
            assertThat(redis.pipelinesSent.stream().flatMap(List::stream).map(w -> w.recordId().offset()))
                    .as("in offset order").isSorted().hasSize(150);
            long dictionary = dictionaries.dictionaries.keySet().iterator().next();
            assertThat(redis.data.values()).allSatisfy(v -> assertThat(ValueDecoder.header(v).dictionaryId()).isEqualTo(dictionary));
            assertThat(context.paused).isEmpty();
            task.put(List.of());
            assertThat(commit()).containsEntry(P0, new OffsetAndMetadata(150));

            // a topic revoked while it waits: nothing written, nothing committed, and its records are gone from the task
            TopicPartition other = new TopicPartition("other", 0);
            consumed.put(other, new OffsetAndMetadata(0));
            put(List.of(record().topic("other").key("x").value("{\"a\":1}").offset(0).build()));
            assertThat(commit()).doesNotContainKey(other);
            task.close(List.of(other));
            consumed.remove(other);
            task.put(List.of());
            assertThat(redis.writesSent()).isEqualTo(150);
            task.stop();
        }
    }
}
