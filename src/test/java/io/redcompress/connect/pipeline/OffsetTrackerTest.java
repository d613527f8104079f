package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.mapping.RecordId;

class OffsetTrackerTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private final OffsetTracker tracker = new OffsetTracker();

    private static RecordId id(long offset) {
        return new RecordId("t", 0, offset);
    }

    @Test
    void nothingIsCommittableBeforeAnAcknowledgement() {
        tracker.register(id(0));
        tracker.register(id(1));
        assertThat(tracker.acknowledgedOffsets()).isEmpty();
    }

    @Test
    void commitsTheEndOfTheContiguousAcknowledgedRunPlusOne() {
        for (long o = 10; o < 15; o++) {
            tracker.register(id(o));
        }
        tracker.acknowledge(id(10));
        tracker.acknowledge(id(11));
        tracker.acknowledge(id(13)); // a gap at 12 holds the commit back
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(12));
        tracker.acknowledge(id(12));
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(14));
        assertThat(tracker.needsWrite(id(14))).as("the one still unacknowledged").isTrue();
    }

    @Test
    void offsetGapsFromCompactionDoNotHoldCommitsBack() {
        tracker.register(id(3));
        tracker.register(id(8));
        tracker.acknowledge(id(3));
        tracker.acknowledge(id(8));
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(9));
    }

    @Test
    void redeliveredRecordsAreSentAgainOnlyIfNotSettled() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.register(id(2));
        tracker.acknowledge(id(0));
        tracker.acknowledge(id(2)); // e.g. sent to the dead-letter topic while 1 failed
        assertThat(tracker.needsWrite(id(0))).isFalse();
        assertThat(tracker.needsWrite(id(1))).isTrue();
        assertThat(tracker.needsWrite(id(2))).isFalse();
        assertThat(tracker.needsWrite(id(3))).isTrue();
        tracker.register(id(1)); // registering again is harmless
        tracker.acknowledge(id(1));
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(3));
    }

    @Test
    void acknowledgingAnUnregisteredRecordIsABug() {
        assertThatThrownBy(() -> tracker.acknowledge(id(5))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void partitionsAreIndependentAndCanBeForgotten() {
        RecordId other = new RecordId("t", 1, 0);
        tracker.register(id(0));
        tracker.register(other);
        tracker.acknowledge(other);
        assertThat(tracker.acknowledgedOffsets()).containsOnlyKeys(new TopicPartition("t", 1));
        tracker.forget(List.of(new TopicPartition("t", 1)));
        assertThat(tracker.acknowledgedOffsets()).isEmpty();
        assertThat(tracker.needsWrite(other)).isTrue();
    }

    @Test
    void whenEverythingRegisteredIsSettledConnectsConsumedOffsetIsCommitted() {
        // offset 2 was dropped by the converter (errors.tolerance=all) and never reached the task
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(0));
        tracker.acknowledge(id(1));
        Map<TopicPartition, OffsetAndMetadata> consumed = Map.of(TP, new OffsetAndMetadata(3),
                new TopicPartition("t", 9), new OffsetAndMetadata(40));
        assertThat(tracker.committableOffsets(consumed))
                .containsEntry(TP, new OffsetAndMetadata(3))
                .containsEntry(new TopicPartition("t", 9), new OffsetAndMetadata(40));
    }

    @Test
    void whileARecordIsUnacknowledgedOnlyTheAcknowledgedRunIsCommitted() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(0));
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(2)))).containsExactly(Map.entry(TP, new OffsetAndMetadata(1)));
        OffsetTracker nothingAcknowledged = new OffsetTracker();
        nothingAcknowledged.register(id(0));
        assertThat(nothingAcknowledged.committableOffsets(Map.of(TP, new OffsetAndMetadata(1)))).isEmpty();
    }

    @Test
    void neverCommitsPastWhatConnectConsumedNorAPartitionConnectDidNotAskAbout() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(0));
        // a rewind for a retry took Connect's consumed offset back to 0: offset 1 would be ignored, with a WARN
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(0))))
                .containsExactly(Map.entry(TP, new OffsetAndMetadata(0)));
        tracker.register(new RecordId("t", 1, 0));
        tracker.acknowledge(new RecordId("t", 1, 0));
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(1)))).containsOnlyKeys(TP);
    }
    @Test
    void theRecordAtExactlyTheCommitPointIsStillWrittenWhenItIsDelivered() {
        tracker.register(id(0));
        tracker.acknowledge(id(0));
        // the commit point is 1: offset 1 is the next record, not a settled one
        assertThat(tracker.needsWrite(id(0))).as("below the commit point: settled").isFalse();
        assertThat(tracker.needsWrite(id(1))).as("at the commit point: new").isTrue();
    }

    @Test
    void aRecordRedeliveredAtExactlyTheCommitPointAfterAFailureIsWrittenAgainAndThenCommitted() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(0)); // 1 failed transiently: the partition is rewound to 1, the commit point is 1
        assertThat(tracker.needsWrite(id(1))).isTrue();
        tracker.register(id(1));
        tracker.acknowledge(id(1));
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(2)))).containsExactly(Map.entry(TP, new OffsetAndMetadata(2)));
    }

    @Test
    void aRecordFirstDeliveredAtExactlyTheCommitPointCanBeAcknowledged() {
        // one record per poll: each is registered when the commit point has just reached it
        for (long o = 0; o < 3; o++) {
            tracker.register(id(o));
            tracker.acknowledge(id(o));
            assertThat(tracker.acknowledgedOffsets()).containsExactly(Map.entry(TP, new OffsetAndMetadata(o + 1)));
        }
        tracker.register(id(3));
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(4))))
                .as("3 is pending: the commit stops before it").containsExactly(Map.entry(TP, new OffsetAndMetadata(3)));
    }

    @Test
    void aRecordRegisteredAgainBelowTheCommitPointNeitherHoldsTheCommitBackNorIsSentAgain() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(0));
        tracker.acknowledge(id(1));
        tracker.register(id(0)); // e.g. redelivered after a rewind to an older offset
        assertThat(tracker.needsWrite(id(0))).isFalse();
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(5))))
                .as("everything registered is settled: Connect's consumed offset").containsExactly(Map.entry(TP, new OffsetAndMetadata(5)));
        tracker.register(id(2));
        tracker.acknowledge(id(2));
        assertThat(tracker.acknowledgedOffsets()).containsExactly(Map.entry(TP, new OffsetAndMetadata(3)));
    }

    @Test
    void aRecordRegisteredTwiceIsAcknowledgedOnceAndStaysAcknowledged() {
        tracker.register(id(0));
        tracker.register(id(1));
        tracker.acknowledge(id(1));
        tracker.register(id(1)); // registering an acknowledged record does not make it pending again
        assertThat(tracker.needsWrite(id(1))).isFalse();
        tracker.acknowledge(id(0));
        assertThat(tracker.acknowledgedOffsets()).containsExactly(Map.entry(TP, new OffsetAndMetadata(2)));
    }

    @Test
    void aPartitionConnectHasNoConsumedOffsetForIsNotCommitted() {
        tracker.register(id(0));
        tracker.acknowledge(id(0));
        Map<TopicPartition, OffsetAndMetadata> consumed = new HashMap<>();
        consumed.put(TP, null);
        assertThat(tracker.committableOffsets(consumed)).isEmpty();
    }

    @Test
    void thousandsInFlightAcknowledgedInAnyOrderCommitExactlyTheContiguousRun() {
        java.util.List<Long> order = new java.util.ArrayList<>();
        for (long o = 0; o < 10_000; o++) {
            tracker.register(id(o));
            order.add(o);
        }
        java.util.Collections.shuffle(order, new java.util.Random(7));
        java.util.TreeSet<Long> missing = new java.util.TreeSet<>(order);
        for (long o : order) {
            tracker.acknowledge(id(o));
            missing.remove(o);
            long expected = missing.isEmpty() ? 10_000 : missing.first();
            if (expected > 0) {
                assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(expected));
            }
        }
        assertThat(tracker.committableOffsets(Map.of(TP, new OffsetAndMetadata(10_000)))).containsEntry(TP, new OffsetAndMetadata(10_000));
    }

    @Test
    void aRecordRegisteredOutOfOrderHoldsTheCommitBackUntilAcknowledged() {
        tracker.register(id(1));
        tracker.register(id(5));
        tracker.register(id(3)); // a redelivery that skipped it before (a filter that changed its mind)
        tracker.acknowledge(id(1));
        tracker.acknowledge(id(5));
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(2));
        assertThat(tracker.needsWrite(id(3))).isTrue();
        assertThat(tracker.needsWrite(id(5))).isFalse();
        tracker.acknowledge(id(3));
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(6));
    }

    @Test
    void aLongStreamThroughASmallWindowKeepsItsCommitPoint() {
        // registering and settling far more records than the initial capacity, a window at a time, as pipelines do
        for (long o = 0; o < 100_000; o += 100) {
            for (long k = o; k < o + 100; k++) {
                tracker.register(id(k));
            }
            for (long k = o; k < o + 100; k++) {
                tracker.acknowledge(id(k));
            }
        }
        assertThat(tracker.acknowledgedOffsets()).containsEntry(TP, new OffsetAndMetadata(100_000));
        assertThat(tracker.needsWrite(id(99_999))).isFalse();
        assertThat(tracker.needsWrite(id(100_000))).isTrue();
    }
}
