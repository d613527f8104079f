package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    @Test
    void backoffDoublesPerRetryUpToTheMaximum() {
        RetryBudget budget = new RetryBudget(5, 100, 350, () -> 0.0);
        assertThat(List.of(1, 2, 3, 4, 5)).extracting(budget::backoffMillis).containsExactly(100L, 200L, 350L, 350L, 350L);
    }

    @Test
    void jitterKeepsEachBackoffBetweenHalfAndAllOfIt() {
        assertThat(new RetryBudget(5, 100, 1000, () -> 0.0).jitteredBackoffMillis(2)).isEqualTo(100);
        assertThat(new RetryBudget(5, 100, 1000, () -> 0.5).jitteredBackoffMillis(2)).isEqualTo(150);
        assertThat(new RetryBudget(5, 100, 1000, () -> 0.999).jitteredBackoffMillis(2)).isEqualTo(199);
    }

    @Test
    void theBudgetIsSpentPerPartitionAndExhaustedOnlyPastMaxRetries() {
        RetryBudget budget = new RetryBudget(2, 10, 10, () -> 0.0);
        assertThat(budget.recordFailure(P0)).isEqualTo(1);
        assertThat(budget.recordFailure(P0)).isEqualTo(2);
        assertThat(budget.exhausted(2)).isFalse();
        assertThat(budget.recordFailure(P0)).isEqualTo(3);
        assertThat(budget.exhausted(3)).isTrue();
        assertThat(budget.recordFailure(P1)).isEqualTo(1);
    }

    @Test
    void successAndForgettingStartAPartitionFromZero() {
        RetryBudget budget = new RetryBudget(5, 10, 10, () -> 0.0);
        budget.recordFailure(P0);
        budget.recordFailure(P0);
        budget.recordFailure(P1);
        assertThat(budget.succeeded(List.of(P0))).as("the failures it had").isEqualTo(Map.of(P0, 2));
        assertThat(budget.recordFailure(P0)).as("counted from zero again").isEqualTo(1);
        budget.forget(List.of(P1));
        assertThat(budget.succeeded(List.of(P1))).as("nothing left to count").isEmpty();
        assertThat(budget.recordFailure(P1)).as("counted from zero again").isEqualTo(1);
    }
    @Test
    void aLongOutageWaitsTheMaximumBackoffNeverLessOrNegative() {
        // doubling stops at the maximum: 100 ms doubled 199 times would overflow to 0
        RetryBudget budget = new RetryBudget(1000, 100, 60_000, () -> 0.0);
        assertThat(budget.backoffMillis(200)).isEqualTo(60_000);
        assertThat(budget.jitteredBackoffMillis(200)).isEqualTo(30_000);
    }

    @Test
    void aMaximumBelowTheBaseBackoffMeansTheBaseBackoff() {
        RetryBudget budget = new RetryBudget(5, 500, 100, () -> 0.0);
        assertThat(budget.backoffMillis(1)).isEqualTo(500);
        assertThat(budget.backoffMillis(3)).isEqualTo(500);
    }

    @Test
    void onlyPartitionsThatFailedAreReportedAsRecovered() {
        RetryBudget budget = new RetryBudget(5, 10, 10, () -> 0.0);
        budget.recordFailure(P0);
        assertThat(budget.succeeded(List.of(P0, P1))).containsExactly(Map.entry(P0, 1));
        assertThat(budget.succeeded(List.of(P0))).as("already recovered").isEmpty();
    }
}
