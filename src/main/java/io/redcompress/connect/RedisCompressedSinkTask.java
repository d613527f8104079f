package io.redcompress.connect;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.config.RejectedWriteBehavior;
import io.redcompress.connect.errors.DeadLetterReporter;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RecordMapper;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.mapping.UndecodableRecordException;
import io.redcompress.connect.metrics.SinkMetrics;
import io.redcompress.connect.pipeline.OffsetTracker;
import io.redcompress.connect.pipeline.PartitionFailure;
import io.redcompress.connect.pipeline.PartitionPipelines;
import io.redcompress.connect.pipeline.PendingWrite;
import io.redcompress.connect.pipeline.RejectedWriteHandler;
import io.redcompress.connect.pipeline.RetryBudget;
import io.redcompress.connect.pipeline.RetryLaterException;
import io.redcompress.connect.redis.LettuceWriteSender;
import io.redcompress.connect.redis.RedisClientFactory;
import io.redcompress.connect.redis.RedisConnectivityCheck;
import io.redcompress.connect.redis.RedisWriteSender;

/**
 * Lifecycle only. Each put() maps the poll's records (mapping + codec), sends one pipeline per partition, settles
 * the replies into the offset tracker and, when a partition failed transiently, asks Connect to redeliver after a
 * backoff; preCommit() returns only what Redis acknowledged.
 */
public class RedisCompressedSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(RedisCompressedSinkTask.class);
    private static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Function<RedisSinkConfig, RedisWriteSender> senderFactory;

    private RedisSinkConfig config;
    private RecordMapper mapper;
    private RedisWriteSender sender;
    private DeadLetterReporter deadLetters;
    private OffsetTracker offsets;
    private RetryBudget retries;
    private PartitionPipelines pipelines;
    private SinkMetrics metrics;
    private long lastSummaryNanos;
    /** When a failed pipeline may be sent again: Connect may redeliver before the timeout we asked for. */
    private long retryNotBeforeNanos;

    public RedisCompressedSinkTask() {
        this(RedisCompressedSinkTask::connectToRedis);
    }

    /** Checks Redis the way validate() does, so a task that cannot start says why in the same words. */
    private static RedisWriteSender connectToRedis(RedisSinkConfig config) {
        RedisConnectivityCheck.ping(config).ifPresent(problem -> {
            throw new ConnectException(problem.message() + " (config key: " + problem.configKey() + ")");
        });
        return LettuceWriteSender.connect(config);
    }

    /** For tests: a sender other than Lettuce's. */
    RedisCompressedSinkTask(Function<RedisSinkConfig, RedisWriteSender> senderFactory) {
        this.senderFactory = senderFactory;
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new RedisSinkConfig(props);
        mapper = TaskComponents.recordMapper(config);
        deadLetters = DeadLetterReporter.from(context);
        offsets = new OffsetTracker();
        retries = new RetryBudget(config.maxRetries(), config.retryBackoffMillis(), config.retryBackoffMaxMillis());
        metrics = new SinkMetrics();
        metrics.register(pluginMetrics());
        sender = connect(config);
        pipelines = new PartitionPipelines(sender, offsets, rejectedWriteHandler(), config.commandTimeout().plusSeconds(5), metrics);
        lastSummaryNanos = System.nanoTime();
        log.info("Writing to Redis at {} with codec {}, key template '{}', dead-letter topic {}",
                RedisClientFactory.describeEndpoint(config), config.codec(), config.keyTemplate(),
                deadLetters.isConfigured() ? "configured" : "not configured");
    }

    private RedisWriteSender connect(RedisSinkConfig config) {
        try {
            return senderFactory.apply(config);
        } catch (ConnectException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConnectException("Cannot connect to Redis at " + RedisClientFactory.describeEndpoint(config) + ": "
                    + e.getMessage() + ". Check " + RedisSinkConfig.REDIS_URI + ", " + RedisSinkConfig.REDIS_USERNAME + " and "
                    + RedisSinkConfig.REDIS_PASSWORD + ".", e);
        }
    }

    private RejectedWriteHandler rejectedWriteHandler() {
        if (config.rejectedWriteBehavior() == RejectedWriteBehavior.FAIL) {
            return (write, reply, cause) -> {
                throw new ConnectException("Redis refused the write of record " + write.write().recordId() + ": " + reply
                        + ". The task stops because " + RedisSinkConfig.BEHAVIOR_ON_REJECTED_WRITES + "=fail.", cause);
            };
        }
        return (write, reply, cause) -> {
            deadLetters.report(write.record(), new ConnectException("Record " + write.write().recordId()
                    + " was refused by Redis: " + reply, cause));
            metrics.deadLettered();
        };
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        waitOutBackoff();
        Map<TopicPartition, List<PendingWrite>> writesByPartition = new LinkedHashMap<>();
        for (SinkRecord record : records) {
            RecordId id = RecordId.of(record);
            if (!offsets.needsWrite(id)) {
                continue; // settled before a redelivery: never sent or reported twice
            }
            offsets.register(id);
            try {
                Optional<RedisWrite> write = mapper.map(record);
                if (write.isPresent()) {
                    writesByPartition.computeIfAbsent(id.topicPartition(), tp -> new java.util.ArrayList<>())
                            .add(new PendingWrite(record, write.get()));
                } else {
                    offsets.acknowledge(id);
                }
            } catch (UndecodableRecordException e) {
                deadLetters.report(record, e);
                metrics.deadLettered();
                offsets.acknowledge(id);
            }
        }
        List<PartitionFailure> failures = pipelines.settle(pipelines.send(writesByPartition));
        Set<TopicPartition> succeeded = new HashSet<>(writesByPartition.keySet());
        failures.forEach(f -> succeeded.remove(f.partition()));
        retries.succeeded(succeeded);
        if (!failures.isEmpty()) {
            retryLaterOrFail(failures);
        }
        logSummaryNowAndThen();
    }

    private void retryLaterOrFail(List<PartitionFailure> failures) {
        long backoff = 0;
        for (PartitionFailure failure : failures) {
            int retry = retries.recordFailure(failure.partition());
            if (retries.exhausted(retry)) {
                throw new ConnectException("Writing to Redis at " + RedisClientFactory.describeEndpoint(config)
                        + " failed for partition " + failure.partition() + " at offset " + failure.firstFailed().offset()
                        + " after " + retries.maxRetries() + " retries: " + failure.reason()
                        + ". Nothing from that offset on is committed; the task resumes there when restarted. "
                        + "If Redis needs longer to recover, raise " + RedisSinkConfig.MAX_RETRIES + " or "
                        + RedisSinkConfig.RETRY_BACKOFF_MAX_MS + ".", failure.cause());
            }
            backoff = Math.max(backoff, retries.backoffMillis(retry));
            metrics.retried();
            log.warn("Redis write failed for partition {} at offset {} (retry {} of {} in {} ms): {}", failure.partition(),
                    failure.firstFailed().offset(), retry, retries.maxRetries(), retries.backoffMillis(retry), failure.reason());
        }
        context.timeout(backoff);
        retryNotBeforeNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
        PartitionFailure first = failures.get(0);
        throw new RetryLaterException("Redis write failed for partition " + first.partition() + " at offset "
                + first.firstFailed().offset() + ": " + first.reason() + "; retrying in " + backoff + " ms");
    }

    /** Sleeps what is left of a retry backoff (at most retry.backoff.max.ms) when Connect redelivers early. */
    private void waitOutBackoff() {
        long remaining = retryNotBeforeNanos - System.nanoTime();
        if (retryNotBeforeNanos != 0 && remaining > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(remaining);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("Interrupted while backing off before a retry", e);
            }
        }
        retryNotBeforeNanos = 0;
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        return offsets.committableOffsets(currentOffsets);
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // put() settles every pipeline before it returns, so nothing of these partitions is in flight
        offsets.forget(partitions);
        retries.forget(partitions);
    }

    @Override
    public void stop() {
        if (metrics != null) {
            log.info("Task stopped: {}; acknowledged writes per Redis node: {}", metrics.snapshot(),
                    sender == null ? Map.of() : sender.acknowledgedWritesPerNode());
        }
        if (sender != null) {
            sender.close();
        }
    }

    private PluginMetrics pluginMetrics() {
        try {
            return context.pluginMetrics();
        } catch (UnsupportedOperationException | NoSuchMethodError e) {
            return null; // a worker older than Kafka 4.1
        }
    }

    private void logSummaryNowAndThen() {
        long now = System.nanoTime();
        if (now - lastSummaryNanos >= SUMMARY_INTERVAL_NANOS) {
            lastSummaryNanos = now;
            log.info("Since start: {}; acknowledged writes per Redis node: {}", metrics.snapshot(), sender.acknowledgedWritesPerNode());
        }
    }
}
