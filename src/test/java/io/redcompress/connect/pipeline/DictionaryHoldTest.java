package io.redcompress.connect.pipeline;

import static io.redcompress.connect.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.FakeSinkTaskContext;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.SettableDictionaries;
import io.redcompress.connect.mapping.ValueDictionaries.Readiness;
import io.redcompress.connect.testing.LogCapture;

class DictionaryHoldTest {

    private static final TopicPartition P0 = new TopicPartition("hb", 0);
    private static final TopicPartition P1 = new TopicPartition("hb", 1);
    private static final TopicPartition LOGS0 = new TopicPartition("logs", 0);

    private final SettableDictionaries dictionaries = new SettableDictionaries();
    private final FakeSinkTaskContext context = new FakeSinkTaskContext(true);
    private final PartitionPauses pauses = new PartitionPauses(context);
    private final AtomicLong clock = new AtomicLong();
    private final OffsetTracker offsets = new OffsetTracker();

    private DictionaryHold hold(int maxRecordsPerPartition, long maxBytes) {
        return new DictionaryHold(dictionaries, r -> r.value() == null ? null : ((String) r.value()).getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(60), maxRecordsPerPartition, maxBytes, pauses, clock::get);
    }

    private static SinkRecord heartbeat(TopicPartition partition, long offset) {
        return record().topic(partition.topic()).partition(partition.partition()).offset(offset).key("k" + offset)
                .value("{\"seq\":" + offset + "}").build();
    }

    /** What the task does with each record of a put(): registers it, then asks the hold; the records not held. */
    private List<SinkRecord> put(DictionaryHold hold, SinkRecord... records) {
        List<SinkRecord> written = new ArrayList<>();
        for (SinkRecord record : records) {
            RecordId id = RecordId.of(record);
            if (!offsets.needsWrite(id)) {
                continue;
            }
            offsets.register(id);
            if (!hold.holds(record, id)) {
                written.add(record);
            }
        }
        return written;
    }

    /** A record of source partition {@code source} that an SMT routed to {@code topic} (a TimestampRouter, say). */
    private static SinkRecord routed(TopicPartition source, long offset, String topic) {
        SinkRecord original = heartbeat(source, offset);
        return original.newRecord(topic, original.kafkaPartition(), original.keySchema(), original.key(),
                original.valueSchema(), original.value(), original.timestamp());
    }

    @Test
    void aSourcePartitionRoutedToSeveralTopicsIsHeldAsAWholeSoNoRecordOvertakesAnEarlierOne() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("day1", Readiness.ACTIVE);
        assertThat(put(hold, routed(P0, 0, "day1"))).as("day1 has its dictionary").hasSize(1);
        // a new day: its topic has no dictionary yet; the late record of day1 after it must wait behind it
        assertThat(put(hold, routed(P0, 1, "day2"), routed(P0, 2, "day1"), routed(P1, 9, "day1"))).extracting(SinkRecord::topic)
                .as("only the other partition's record passes").containsExactly("day1");
        assertThat(hold.heldRecords()).isEqualTo(2);
        assertThat(put(hold, routed(P0, 1, "day2"), routed(P0, 2, "day1"))).as("delivered again: held once").isEmpty();
        assertThat(hold.heldRecords()).isEqualTo(2);

        dictionaries.readiness.put("day2", Readiness.ACTIVE);
        List<SinkRecord> released = hold.release();
        assertThat(offsetsOf(released)).containsExactly(1L, 2L);
        assertThat(released).extracting(SinkRecord::topic).containsExactly("day2", "day1");
        assertThat(put(hold, routed(P0, 3, "day1"), routed(P0, 4, "day2"))).hasSize(2);
    }

    @Test
    void aPartitionRewoundBelowWhatItHoldsDropsItSoThatTheRetriedRecordIsWrittenFirst() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("day1", Readiness.ACTIVE);
        assertThat(put(hold, routed(P0, 0, "day1"))).hasSize(1); // sent; it will fail
        dictionaries.readiness.put("day2", Readiness.PREPARING);
        assertThat(put(hold, routed(P0, 1, "day2"), routed(P0, 2, "day1"))).isEmpty();
        assertThat(context.paused).as("its dictionary is being trained").contains(P0);

        // offset 0 failed: the task rewinds the partition to it
        hold.rewound(List.of(P0));
        assertThat(hold.heldRecords()).isZero();
        assertThat(context.paused).as("the retry's backoff pauses it, not the hold").doesNotContain(P0);
        dictionaries.readiness.put("day2", Readiness.ACTIVE);
        assertThat(hold.release()).as("nothing of the partition is released ahead of the retried record").isEmpty();

        // delivered again from offset 0 (sent, never acknowledged): in order, each once
        assertThat(offsetsOf(put(hold, routed(P0, 0, "day1"), routed(P0, 1, "day2"), routed(P0, 2, "day1"))))
                .containsExactly(0L, 1L, 2L);
    }

    private static List<Long> offsetsOf(List<SinkRecord> records) {
        return records.stream().map(SinkRecord::kafkaOffset).toList();
    }

    @Test
    void aTopicIsHeldUntilItsDictionaryIsActiveAndTheHeldRecordsTrainItAndAreReleasedInOffsetOrder() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        assertThat(put(hold, heartbeat(P0, 0), heartbeat(P1, 7), heartbeat(P0, 1), heartbeat(P1, 8))).isEmpty();
        assertThat(hold.heldRecords()).isEqualTo(4);
        assertThat(dictionaries.samples).containsExactly("{\"seq\":0}", "{\"seq\":7}", "{\"seq\":1}", "{\"seq\":8}");
        assertThat(context.paused).as("sampling: more records help the dictionary").isEmpty();
        assertThat(context.lastTimeoutMs).as("put() is called again without new records").isEqualTo(DictionaryHold.RECHECK_MILLIS);

        assertThat(hold.release()).as("still sampling").isEmpty();
        assertThat(put(hold, heartbeat(P0, 2))).isEmpty();

        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        List<SinkRecord> released = hold.release();
        assertThat(released).extracting(SinkRecord::kafkaPartition, SinkRecord::kafkaOffset).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0, 0L), org.assertj.core.groups.Tuple.tuple(0, 1L),
                org.assertj.core.groups.Tuple.tuple(0, 2L), org.assertj.core.groups.Tuple.tuple(1, 7L),
                org.assertj.core.groups.Tuple.tuple(1, 8L));
        assertThat(hold.heldRecords()).isZero();
        assertThat(hold.releasedWithoutDictionary()).isZero();
        assertThat(offsetsOf(put(hold, heartbeat(P0, 3)))).as("the topic is not held again").containsExactly(3L);
        assertThat(hold.release()).isEmpty();
    }

    @Test
    void onceTheDictionaryHasItsSamplesThePartitionsArePausedUntilItIsReady() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        put(hold, heartbeat(P0, 0), heartbeat(P1, 0));
        dictionaries.readiness.put("hb", Readiness.PREPARING);
        put(hold, heartbeat(P0, 1));
        assertThat(context.paused).as("P0 delivered a record after the samples were taken").containsExactly(P0);
        assertThat(hold.release()).isEmpty();
        assertThat(context.paused).as("every partition holding records of the topic").containsExactlyInAnyOrder(P0, P1);
        assertThat(pauses.isPaused(P0, PartitionPauses.Reason.DICTIONARY)).isTrue();

        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        assertThat(offsetsOf(hold.release())).containsExactly(0L, 1L, 0L);
        assertThat(context.paused).isEmpty();
        assertThat(context.resumed).containsExactlyInAnyOrder(P0, P1);
    }

    @Test
    void aPartitionPausedForAnotherReasonStaysPausedWhenItsDictionaryIsReady() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("hb", Readiness.PREPARING);
        put(hold, heartbeat(P0, 0));
        pauses.pause(P0, PartitionPauses.Reason.IN_FLIGHT);
        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        assertThat(hold.release()).hasSize(1);
        assertThat(context.paused).containsExactly(P0);
    }

    @Test
    void atTheDeadlineTheHeldRecordsAreWrittenWithoutADictionaryWithOneWarningNamingTopicCountAndSetting() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("hb", Readiness.PREPARING); // a store that keeps failing
        put(hold, heartbeat(P0, 0), heartbeat(P0, 1), heartbeat(P1, 0));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertThat(hold.release()).isEmpty();
        try (LogCapture logs = LogCapture.start()) {
            clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
            assertThat(offsetsOf(hold.release())).containsExactly(0L, 1L, 0L);
            assertThat(hold.release()).isEmpty();
            assertThat(put(hold, heartbeat(P0, 2))).as("not held again").hasSize(1);
            List<String> warnings = logs.text().lines().filter(l -> l.startsWith("WARN")).toList();
            assertThat(warnings).singleElement().asString().contains("Topic 'hb'", "after 60000 ms", "being trained or stored",
                    "the 3 records held", "without a dictionary", "compression.dictionary.hold.max.ms (60000 now)");
        }
        assertThat(context.paused).isEmpty();
        assertThat(hold.releasedWithoutDictionary()).isEqualTo(3);
        assertThat(hold.heldRecords()).isZero();
    }

    @Test
    void whenNoDictionaryIsComingTheHeldRecordsAreWrittenAtOnce() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        put(hold, heartbeat(P0, 0));
        dictionaries.readiness.put("hb", Readiness.NONE); // training failed: sampled again only in 10 minutes
        try (LogCapture logs = LogCapture.start()) {
            assertThat(hold.release()).hasSize(1);
            assertThat(logs.text()).contains("Topic 'hb': no dictionary is coming soon; writing the 1 records held");
        }
    }

    @Test
    void aPartitionHoldingMoreThanItsBoundIsPausedAndItsTopicReleasedWithoutADictionary() {
        DictionaryHold hold = hold(3, 32 << 20);
        put(hold, heartbeat(P0, 0), heartbeat(P0, 1), heartbeat(P0, 2), heartbeat(P1, 0));
        assertThat(context.paused).isEmpty();
        put(hold, heartbeat(P0, 3));
        assertThat(context.paused).as("over the bound: nothing more of it").containsExactly(P0);
        try (LogCapture logs = LogCapture.start()) {
            assertThat(offsetsOf(hold.release())).containsExactly(0L, 1L, 2L, 3L, 0L);
            assertThat(logs.text()).contains("Topic 'hb': partition hb-0 holds 4 records, over max.in.flight.records.per.partition=3",
                    "the 5 records held", "Raise max.in.flight.records.per.partition, or lower compression.dictionary.samples");
        }
        assertThat(context.paused).isEmpty();
    }

    @Test
    void overTheTasksBytesTheTopicsHoldingTheMostAreReleasedFirst() {
        long record = DictionaryHold.RECORD_OVERHEAD_BYTES + "{\"seq\":0}".length();
        DictionaryHold hold = hold(5_000, 4 * record);
        put(hold, heartbeat(LOGS0, 0), heartbeat(P0, 0), heartbeat(P0, 1), heartbeat(P0, 2));
        assertThat(hold.release()).as("at the bound, not over").isEmpty();
        put(hold, heartbeat(P0, 3));
        try (LogCapture logs = LogCapture.start()) {
            assertThat(hold.release()).extracting(SinkRecord::topic).containsOnly("hb").hasSize(4);
            assertThat(logs.text()).contains("Topic 'hb': the task holds about " + 5 * record + " bytes", "over max.in.flight.bytes=");
        }
        assertThat(hold.heldRecords()).as("the other topic is held on").isEqualTo(1);
        dictionaries.readiness.put("logs", Readiness.ACTIVE);
        assertThat(hold.release()).extracting(SinkRecord::topic).containsExactly("logs");
    }

    @Test
    void revokedPartitionsDropTheirHeldRecordsUnwrittenAndATopicLeftWithNoneIsHeldAfresh() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        put(hold, heartbeat(P0, 0), heartbeat(P0, 1), heartbeat(P1, 0), heartbeat(LOGS0, 0));
        hold.forget(List.of(P0, LOGS0));
        assertThat(hold.heldRecords()).isEqualTo(1);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(30));
        assertThat(put(hold, heartbeat(LOGS0, 0))).as("logs comes back: held again").isEmpty();
        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        assertThat(hold.release()).extracting(SinkRecord::topic, SinkRecord::kafkaPartition)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("hb", 1));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertThat(hold.release()).as("logs' deadline counts from its new hold").isEmpty();
    }

    @Test
    void noCommitPassesAHeldRecordAndARecordDeliveredAgainWhileHeldIsHeldOnce() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("logs", Readiness.ACTIVE);
        assertThat(put(hold, heartbeat(LOGS0, 0), heartbeat(P0, 5), heartbeat(P0, 6))).hasSize(1);
        offsets.acknowledge(new RecordId(LOGS0, 0));
        Map<TopicPartition, OffsetAndMetadata> consumed = Map.of(P0, new OffsetAndMetadata(7), LOGS0, new OffsetAndMetadata(1));
        assertThat(offsets.committableOffsets(consumed)).as("nothing of hb-0 while its records are held")
                .containsOnly(Map.entry(LOGS0, new OffsetAndMetadata(1)));

        put(hold, heartbeat(P0, 5), heartbeat(P0, 6), heartbeat(P0, 7)); // the batch handed back, and one more
        assertThat(hold.heldRecords()).isEqualTo(3);
        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        List<SinkRecord> released = hold.release();
        assertThat(offsetsOf(released)).containsExactly(5L, 6L, 7L);
        released.subList(0, 2).forEach(r -> offsets.acknowledge(RecordId.of(r)));
        assertThat(offsets.committableOffsets(Map.of(P0, new OffsetAndMetadata(8))))
                .as("up to the first record not yet acknowledged").containsEntry(P0, new OffsetAndMetadata(7));
    }

    @Test
    void aTopicWhoseDictionaryIsThereAtItsFirstRecordIsNeverHeldAndNoHoldHoldsNothing() {
        DictionaryHold hold = hold(5_000, 32 << 20);
        dictionaries.readiness.put("hb", Readiness.ACTIVE);
        assertThat(put(hold, heartbeat(P0, 0))).hasSize(1);
        dictionaries.readiness.put("hb", Readiness.SAMPLING); // its dictionary gone from Redis for a while: not held
        assertThat(put(hold, heartbeat(P0, 1))).hasSize(1);

        DictionaryHold none = DictionaryHold.none();
        assertThat(put(none, heartbeat(LOGS0, 0))).hasSize(1);
        assertThat(none.release()).isEmpty();
        assertThat(dictionaries.samples).as("sampled only for the look at its first record").hasSize(1);
    }
}
