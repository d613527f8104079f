package io.redcompress.connect.pipeline;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

/**
 * Counts consecutive failed attempts per partition and gives the backoff before the next one: retry.backoff.ms,
 * doubling per attempt up to retry.backoff.max.ms. A partition that succeeds starts again from zero.
 */
public final class RetryBudget {

    private final int maxRetries;
    private final long backoffMillis;
    private final long maxBackoffMillis;
    private final Map<TopicPartition, Integer> attempts = new HashMap<>();

    public RetryBudget(int maxRetries, long backoffMillis, long maxBackoffMillis) {
        this.maxRetries = maxRetries;
        this.backoffMillis = backoffMillis;
        this.maxBackoffMillis = Math.max(backoffMillis, maxBackoffMillis);
    }

    /** Records one more failure; returns the retry number (1 for the first retry). */
    public int recordFailure(TopicPartition partition) {
        return attempts.merge(partition, 1, Integer::sum);
    }

    public boolean exhausted(int retry) {
        return retry > maxRetries;
    }

    public long backoffMillis(int retry) {
        long backoff = backoffMillis;
        for (int i = 1; i < retry && backoff < maxBackoffMillis; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, maxBackoffMillis);
    }

    public int maxRetries() {
        return maxRetries;
    }

    public void succeeded(Set<TopicPartition> partitions) {
        partitions.forEach(attempts::remove);
    }

    public void forget(java.util.Collection<TopicPartition> partitions) {
        partitions.forEach(attempts::remove);
    }
}
