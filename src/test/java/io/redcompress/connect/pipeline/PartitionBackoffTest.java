package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.FakeSinkTaskContext;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.testing.LogCapture;

class PartitionBackoffTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeSinkTaskContext context = new FakeSinkTaskContext(true);
    private final PartitionBackoff backoff = new PartitionBackoff(new RetryBudget(100, 1000, 4000, () -> 0.0), context,
            "127.0.0.1:6379", now::get);

    private static PartitionFailure failure(TopicPartition partition, long offset) {
        return new PartitionFailure(partition, new RecordId(partition.topic(), partition.partition(), offset),
                "OOM command not allowed", null);
    }

    /** Two retries of 500 ms, then 1000 ms (no jitter), on the test's clock and context. */
    private PartitionBackoff withTwoRetries() {
        return new PartitionBackoff(new RetryBudget(2, 1000, 4000, () -> 0.0), context, "127.0.0.1:6379", now::get);
    }

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aFailedPartitionIsRewoundPausedAndResumedWhenItsBackoffIsOver() {
        backoff.failed(List.of(failure(P0, 7)));
        assertThat(context.rewinds).containsEntry(P0, 7L);
        assertThat(context.paused).containsExactly(P0);
        assertThat(context.lastTimeoutMs).isEqualTo(500);
        assertThat(backoff.isPaused(P0)).isTrue();
        assertThat(backoff.isPaused(P1)).isFalse();

        advanceMillis(499);
        backoff.resumeDue();
        assertThat(context.resumed).isEmpty();
        assertThat(context.lastTimeoutMs).as("asks to be called again when it is due").isEqualTo(1);
        advanceMillis(1);
        backoff.resumeDue();
        assertThat(context.resumed).containsExactly(P0);
        assertThat(backoff.isPaused(P0)).isFalse();
    }

    @Test
    void logsOneLinePerStateChangeNotPerRetry() {
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 10; i++) {
                backoff.failed(List.of(failure(P0, 7)));
                advanceMillis(2_000);
            }
            backoff.succeeded(List.of(P0));
            String text = logs.text();
            assertThat(text.split("stalled at offset 7", -1)).as("the stall and nothing per retry").hasSize(2);
            assertThat(text).doesNotContain("still stalled");
            assertThat(text).contains("t-0 recovered after 10 failed attempts in 20 s");
        }
        try (LogCapture logs = LogCapture.start()) {
            backoff.failed(List.of(failure(P0, 9)));
            advanceMillis(31_000);
            backoff.failed(List.of(failure(P0, 9)));
            advanceMillis(1_000);
            backoff.failed(List.of(failure(P0, 9)));
            assertThat(logs.text().split("still stalled at offset 9", -1)).as("at most every 30 s").hasSize(2);
        }
    }

    @Test
    void whenItsRetriesRunOutThePartitionFailsTheTaskNamingTheSettings() {
        PartitionBackoff strict = new PartitionBackoff(new RetryBudget(1, 10, 10, () -> 0.0), context, "127.0.0.1:6379", now::get);
        strict.failed(List.of(failure(P0, 3)));
        assertThatThrownBy(() -> strict.failed(List.of(failure(P0, 3))))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("127.0.0.1:6379").hasMessageContaining("partition t-0 at offset 3")
                .hasMessageContaining("max.retries").hasMessageContaining("retry.backoff.max.ms");
    }

    @Test
    void aForgottenPartitionIsNeverResumed() {
        backoff.failed(List.of(failure(P0, 1), failure(P1, 1)));
        backoff.forget(List.of(P0));
        advanceMillis(10_000);
        backoff.resumeDue();
        assertThat(context.resumed).containsExactly(P1);
    }
    @Test
    void aPartitionDueExactlyNowIsResumedAndASubMillisecondWaitAsksForOneMillisecond() {
        backoff.failed(List.of(failure(P0, 7))); // due in 500 ms
        now.addAndGet(TimeUnit.MICROSECONDS.toNanos(499_500));
        backoff.resumeDue();
        assertThat(context.resumed).isEmpty();
        assertThat(context.lastTimeoutMs).as("never timeout(0), which would mean no wake-up").isEqualTo(1);
        now.addAndGet(TimeUnit.MICROSECONDS.toNanos(500));
        backoff.resumeDue();
        assertThat(context.resumed).containsExactly(P0);
    }

    @Test
    void aResumedPartitionIsResumedOnceAndNoLongerAsksForAWakeUp() {
        backoff.failed(List.of(failure(P0, 7)));
        advanceMillis(500);
        backoff.resumeDue();
        context.lastTimeoutMs = null;
        advanceMillis(500);
        backoff.resumeDue(); // its redelivered records have not been written yet: still a stall, but not paused
        assertThat(context.resumed).containsExactly(P0);
        assertThat(context.lastTimeoutMs).isNull();
        assertThat(backoff.isPaused(P0)).isFalse();
    }

    @Test
    void theWakeUpIsForThePartitionStillPausedNotForOneAlreadyResumed() {
        backoff.failed(List.of(failure(P0, 7))); // due in 500 ms
        advanceMillis(200);
        backoff.failed(List.of(failure(P1, 3))); // due in 500 ms from now
        advanceMillis(300);
        backoff.resumeDue();
        assertThat(context.resumed).containsExactly(P0);
        assertThat(context.lastTimeoutMs).isEqualTo(200);
        advanceMillis(150);
        backoff.resumeDue();
        assertThat(context.lastTimeoutMs).as("P0 was resumed 150 ms ago; P1 is due in 50").isEqualTo(50);
    }

    @Test
    void theEarliestDuePartitionSetsTheWakeUp() {
        backoff.failed(List.of(failure(P0, 7)));
        advanceMillis(500);
        backoff.resumeDue();
        backoff.failed(List.of(failure(P0, 7))); // second retry: 1000 ms
        backoff.failed(List.of(failure(P1, 3))); // first retry: 500 ms
        assertThat(context.lastTimeoutMs).isEqualTo(500);
    }

    @Test
    void aPartitionThatWentThroughStartsItsBackoffAndItsBudgetAfresh() {
        PartitionBackoff twoRetries = withTwoRetries();
        twoRetries.failed(List.of(failure(P0, 7)));
        advanceMillis(500);
        twoRetries.resumeDue(); // the put() after the backoff: Connect used the wake-up time at its poll
        twoRetries.failed(List.of(failure(P0, 7)));
        assertThat(context.lastTimeoutMs).isEqualTo(1000);
        twoRetries.succeeded(List.of(P0));
        assertThat(twoRetries.isPaused(P0)).isFalse();

        assertBudgetStartsAfresh(twoRetries, 9);
    }

    @Test
    void aForgottenPartitionComesBackWithAFreshBudget() {
        PartitionBackoff twoRetries = withTwoRetries();
        twoRetries.failed(List.of(failure(P0, 7)));
        twoRetries.failed(List.of(failure(P0, 7)));
        twoRetries.forget(List.of(P0));
        assertThat(twoRetries.isPaused(P0)).isFalse();

        assertBudgetStartsAfresh(twoRetries, 7);
    }

    /** Two more failures of P0 at {@code offset}: backed off as a first retry, and the second is no exhaustion. */
    private void assertBudgetStartsAfresh(PartitionBackoff twoRetries, long offset) {
        twoRetries.failed(List.of(failure(P0, offset)));
        assertThat(context.lastTimeoutMs).as("the first retry's backoff").isEqualTo(500);
        twoRetries.failed(List.of(failure(P0, offset)));
        assertThat(context.rewinds).containsEntry(P0, offset);
    }

    @Test
    void aStallIsLoggedAgainExactlyThirtySecondsLaterWithItsDurationAndRetriesAreLoggedAtDebug() {
        try (LogCapture logs = LogCapture.start()) {
            backoff.failed(List.of(failure(P0, 9)));
            advanceMillis(1_000);
            backoff.failed(List.of(failure(P0, 9)));
            assertThat(logs.text()).contains("DEBUG io.redcompress.connect.pipeline.PartitionBackoff - Retry 2 of 100 for "
                    + "partition t-0 at offset 9 failed: OOM command not allowed");
            advanceMillis(29_000);
            backoff.failed(List.of(failure(P0, 9)));
            assertThat(logs.text()).contains("t-0 still stalled at offset 9 after 30 s and 3 of 100 retries: OOM command not allowed");
        }
    }

    @Test
    void aPartitionThatNeverFailedIsNotReportedAsRecovered() {
        try (LogCapture logs = LogCapture.start()) {
            backoff.failed(List.of(failure(P0, 9)));
            backoff.succeeded(List.of(P1));
            assertThat(logs.text()).doesNotContain("recovered");
            assertThat(backoff.isPaused(P0)).isTrue();
        }
    }
}
