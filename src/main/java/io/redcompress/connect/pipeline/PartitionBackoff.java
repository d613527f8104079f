package io.redcompress.connect.pipeline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.config.RedisSinkConfig;

/**
 * Backs off a partition whose pipeline failed transiently without holding the task thread: the partition is rewound
 * to the record that failed and paused, the other partitions keep flowing, and the partition is resumed once its
 * backoff is over, so Connect delivers the failed record and everything after it again, in order. The consumer keeps
 * polling meanwhile, so a long backoff can neither exceed max.poll.interval.ms nor delay a rebalance.
 *
 * <p>Logs one line per state change of a partition: stalled, still stalled (at most every 30 s), recovered.
 * Used from the task thread only.
 */
public final class PartitionBackoff {

    private static final Logger log = LoggerFactory.getLogger(PartitionBackoff.class);
    static final long STILL_STALLED_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final class Stall {
        final long sinceNanos;
        long lastLoggedNanos;
        long resumeAtNanos;
        boolean paused;

        Stall(long sinceNanos) {
            this.sinceNanos = sinceNanos;
            this.lastLoggedNanos = sinceNanos;
        }
    }

    private final RetryBudget budget;
    private final SinkTaskContext context;
    private final PartitionPauses pauses;
    private final String endpoint;
    private final LongSupplier nanoClock;
    private final Map<TopicPartition, Stall> stalls = new HashMap<>();
    /** Rewound to be sent again at once, without a backoff (PartitionFailure.countsAsRetry false). */
    private final Set<TopicPartition> resending = new HashSet<>();

    public PartitionBackoff(RetryBudget budget, SinkTaskContext context, String endpoint, LongSupplier nanoClock) {
        this(budget, context, new PartitionPauses(context), endpoint, nanoClock);
    }

    /** With the pauses shared with the bound on writes in flight. */
    public PartitionBackoff(RetryBudget budget, SinkTaskContext context, PartitionPauses pauses, String endpoint,
                            LongSupplier nanoClock) {
        this.budget = budget;
        this.context = context;
        this.pauses = pauses;
        this.endpoint = endpoint;
        this.nanoClock = nanoClock;
    }

    /**
     * Rewinds and pauses each failed partition for its backoff.
     *
     * @throws ConnectException when a partition has used up max.retries: nothing from its failed record on is committed
     */
    public void failed(List<PartitionFailure> failures) {
        long now = nanoClock.getAsLong();
        for (PartitionFailure failure : failures) {
            TopicPartition partition = failure.partition();
            if (!failure.countsAsRetry()) {
                // sent again from there at the next put(), in order: paused only so that this put() sends nothing of it
                log.debug("Writing partition {} again from offset {}: {}", partition, failure.firstFailed().offset(), failure.reason());
                rewindAndPause(failure);
                resending.add(partition);
                continue;
            }
            int retry = budget.recordFailure(partition);
            if (budget.exhausted(retry)) {
                throw new ConnectException("Writing to Redis at " + endpoint + " failed for partition " + partition
                        + " at offset " + failure.firstFailed().offset() + " after " + budget.maxRetries() + " retries: "
                        + failure.reason() + ". Nothing from that offset on is committed; the task resumes there when "
                        + "restarted. If Redis needs longer to recover, raise " + RedisSinkConfig.MAX_RETRIES + " or "
                        + RedisSinkConfig.RETRY_BACKOFF_MAX_MS + ".", failure.cause());
            }
            long backoffMillis = budget.jitteredBackoffMillis(retry);
            rewindAndPause(failure);
            Stall stall = stalls.get(partition);
            if (stall == null) {
                stall = new Stall(now);
                stalls.put(partition, stall);
                log.warn("Redis writes for partition {} stalled at offset {}: {}. Retrying in {} ms (up to {} retries); "
                        + "the partition is paused meanwhile, the others go on.", partition, failure.firstFailed().offset(),
                        failure.reason(), backoffMillis, budget.maxRetries());
            } else if (now - stall.lastLoggedNanos >= STILL_STALLED_LOG_INTERVAL_NANOS) {
                stall.lastLoggedNanos = now;
                log.warn("Redis writes for partition {} still stalled at offset {} after {} s and {} of {} retries: {}",
                        partition, failure.firstFailed().offset(), TimeUnit.NANOSECONDS.toSeconds(now - stall.sinceNanos),
                        retry, budget.maxRetries(), failure.reason());
            } else {
                log.debug("Retry {} of {} for partition {} at offset {} failed: {}", retry, budget.maxRetries(), partition,
                        failure.firstFailed().offset(), failure.reason());
            }
            stall.paused = true;
            stall.resumeAtNanos = now + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        }
        wakeUpWhenNextDue(now);
    }

    /** Connect delivers the partition again from the failed record; paused, nothing of it is sent meanwhile. */
    private void rewindAndPause(PartitionFailure failure) {
        context.offset(failure.partition(), failure.firstFailed().offset());
        pauses.pause(failure.partition(), PartitionPauses.Reason.BACKOFF);
    }

    /** Partitions whose pipeline went through: their budget starts again, and a stall that ends is logged. */
    public void succeeded(Collection<TopicPartition> partitions) {
        long now = nanoClock.getAsLong();
        budget.succeeded(partitions).forEach((partition, failures) -> {
            Stall stall = stalls.remove(partition);
            long seconds = stall == null ? 0 : TimeUnit.NANOSECONDS.toSeconds(now - stall.sinceNanos);
            log.info("Redis writes for partition {} recovered after {} failed attempts in {} s", partition, failures, seconds);
        });
    }

    /** True while the partition waits out its backoff: records of it that still arrive are delivered again later. */
    public boolean isPaused(TopicPartition partition) {
        Stall stall = stalls.get(partition);
        return stall != null && stall.paused || resending.contains(partition);
    }

    /**
     * Resumes the partitions whose backoff is over, and asks Connect to call put() again when the next one is. Called
     * first in each put() and preCommit(), so it also starts a new round of wake-up requests ({@link PartitionPauses}).
     */
    public void resumeDue() {
        pauses.pollHappened();
        for (TopicPartition partition : resending) {
            Stall stall = stalls.get(partition);
            if (stall == null || !stall.paused) {
                pauses.release(partition, PartitionPauses.Reason.BACKOFF);
            }
        }
        resending.clear();
        if (stalls.isEmpty()) {
            return;
        }
        long now = nanoClock.getAsLong();
        List<TopicPartition> due = new ArrayList<>();
        stalls.forEach((partition, stall) -> {
            if (stall.paused && stall.resumeAtNanos - now <= 0) {
                stall.paused = false;
                due.add(partition);
            }
        });
        due.forEach(partition -> pauses.release(partition, PartitionPauses.Reason.BACKOFF));
        wakeUpWhenNextDue(now);
    }

    /** Partitions this task no longer owns: never resumed by it again, and their budget is gone. */
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(stalls::remove);
        resending.removeAll(partitions);
        budget.forget(partitions);
        pauses.forget(partitions);
    }

    private void wakeUpWhenNextDue(long now) {
        long next = resending.isEmpty() ? Long.MAX_VALUE : 0;
        for (Stall stall : stalls.values()) {
            if (stall.paused) {
                next = Math.min(next, stall.resumeAtNanos - now);
            }
        }
        if (next != Long.MAX_VALUE) {
            // with every partition paused the consumer would otherwise wait for the next offset commit to poll again
            pauses.wakeUpWithin(TimeUnit.NANOSECONDS.toMillis(next));
        }
    }
}
