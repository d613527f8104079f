package io.redcompress.connect.pipeline;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;

import org.apache.kafka.common.TopicPartition;

/**
 * Counts consecutive failed attempts per partition and gives the backoff before the next one: retry.backoff.ms,
 * doubling per attempt up to retry.backoff.max.ms, with jitter (between half and all of it), so that tasks that
 * failed together — every task of a cluster after a Redis restart — do not retry in lockstep. A partition that
 * succeeds starts again from zero.
 */
public final class RetryBudget {

    private final int maxRetries;
    private final long backoffMillis;
    private final long maxBackoffMillis;
    /** a number in [0, 1): where in the upper half of the backoff this attempt falls */
    private final DoubleSupplier jitter;
    private final Map<TopicPartition, Integer> attempts = new HashMap<>();

    public RetryBudget(int maxRetries, long backoffMillis, long maxBackoffMillis, DoubleSupplier jitter) {
        this.maxRetries = maxRetries;
        this.backoffMillis = backoffMillis;
        this.maxBackoffMillis = Math.max(backoffMillis, maxBackoffMillis);
        this.jitter = jitter;
    }

    /** Records one more failure; returns the retry number (1 for the first retry). */
    public int recordFailure(TopicPartition partition) {
        return attempts.merge(partition, 1, Integer::sum);
    }

    public boolean exhausted(int retry) {
        return retry > maxRetries;
    }

    /** The backoff ceiling of a retry: retry.backoff.ms doubled per earlier retry, capped at retry.backoff.max.ms. */
    public long backoffMillis(int retry) {
        long backoff = backoffMillis;
        for (int i = 1; i < retry && backoff < maxBackoffMillis; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, maxBackoffMillis);
    }

    /** The backoff to wait before a retry: between half of {@link #backoffMillis} and all of it. */
    public long jitteredBackoffMillis(int retry) {
        long ceiling = backoffMillis(retry);
        long half = ceiling / 2;
        return half + (long) ((ceiling - half) * jitter.getAsDouble());
    }

    public int maxRetries() {
        return maxRetries;
    }

    /** Starts the partitions again from zero; returns how many failures each had, for those that had any. */
    public Map<TopicPartition, Integer> succeeded(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Integer> recovered = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Integer failed = attempts.remove(partition);
            if (failed != null) {
                recovered.put(partition, failed);
            }
        }
        return recovered;
    }

    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(attempts::remove);
    }
}
