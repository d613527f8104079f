package io.redcompress.connect;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

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
import io.redcompress.connect.dictionary.DictionaryManager;
import io.redcompress.connect.dictionary.DictionaryStore;
import io.redcompress.connect.errors.DeadLetterReporter;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RecordMapper;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.mapping.UndecodableRecordException;
import io.redcompress.connect.mapping.ValueDictionaries;
import io.redcompress.connect.mapping.WriteLayout;
import io.redcompress.connect.metrics.SinkMetrics;
import io.redcompress.connect.pipeline.AppendSequence;
import io.redcompress.connect.pipeline.DictionaryHold;
import io.redcompress.connect.pipeline.InFlightLimits;
import io.redcompress.connect.pipeline.OffsetTracker;
import io.redcompress.connect.pipeline.PartitionFailure;
import io.redcompress.connect.pipeline.PartitionBackoff;
import io.redcompress.connect.pipeline.PartitionPauses;
import io.redcompress.connect.pipeline.PartitionPipelines;
import io.redcompress.connect.pipeline.PendingWrite;
import io.redcompress.connect.pipeline.RejectedWriteHandler;
import io.redcompress.connect.pipeline.RetryBudget;
import io.redcompress.connect.redis.BucketLayoutGuard;
import io.redcompress.connect.redis.LettuceWriteSender;
import io.redcompress.connect.redis.RedisClientFactory;
import io.redcompress.connect.redis.RedisConnectivityCheck;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.redis.RedisWriteSender;

/**
 * Lifecycle and wiring. Each put() settles the pipelines whose replies are in, maps the poll's records (mapping +
 * codec) and sends one pipeline per partition without waiting for it; {@link InFlightLimits} pauses partitions with
 * too much in flight. In the bucketed layout with trained dictionaries, {@link DictionaryHold} keeps a topic's records
 * back until its dictionary exists and hands them back, in order, ahead of the poll's records. A partition that failed
 * transiently is handed to {@link PartitionBackoff}, which rewinds and pauses it. preCommit() settles everything in
 * flight and returns only what Redis acknowledged.
 */
public class RedisCompressedSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(RedisCompressedSinkTask.class);
    private static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final BiFunction<RedisSinkConfig, Map<String, String>, RedisWriteSender> senderFactory;
    private final LongSupplier nanoClock;
    private BiFunction<RedisSinkConfig, String, DictionaryStore> dictionaryStores = RedisDictionaryStore::open;
    private ValueDictionaries dictionaries;
    private BucketLayoutGuard layoutGuard;

    private RedisSinkConfig config;
    private RecordMapper mapper;
    private RedisWriteSender sender;
    private DeadLetterReporter deadLetters;
    private OffsetTracker offsets;
    private PartitionPipelines pipelines;
    private SinkMetrics metrics;
    private long lastSummaryNanos;
    private PartitionBackoff backoff;
    private InFlightLimits inFlightLimits;
    private PartitionPauses pauses;
    private DictionaryHold dictionaryHold;
    private final AppendSequence appendSequence = new AppendSequence();
    /** Failures preCommit() found, rewound by the next put(): see preCommit(). */
    private final List<PartitionFailure> failuresFoundAtCommit = new ArrayList<>();
    /** A failure of the task that preCommit() found, thrown by the next put(): see preCommit(). */
    private ConnectException taskFailureFoundAtCommit;

    public RedisCompressedSinkTask() {
        this.senderFactory = RedisCompressedSinkTask::connectToRedis;
        this.nanoClock = System::nanoTime;
    }

    /** Checks the configuration and Redis the way validate() does, so a task that cannot start says why in the same words. */
    private static RedisWriteSender connectToRedis(RedisSinkConfig config, Map<String, String> props) {
        ConfigurationCheck.KeySample sample = ConfigurationCheck.KeySample.of(config, props);
        return LettuceWriteSender.connectChecked(config, sample.key(), sample.glob());
    }

    /** For tests: a sender other than Lettuce's. */
    RedisCompressedSinkTask(Function<RedisSinkConfig, RedisWriteSender> senderFactory) {
        this(senderFactory, System::nanoTime);
    }

    /** For tests: a sender other than Lettuce's, and a clock for backoffs and the periodic summary. */
    RedisCompressedSinkTask(Function<RedisSinkConfig, RedisWriteSender> senderFactory, LongSupplier nanoClock) {
        this.senderFactory = (config, props) -> senderFactory.apply(config);
        this.nanoClock = nanoClock;
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        WorkerCompatibility.check();
        config = new RedisSinkConfig(props);
        List<RedisConnectivityCheck.Problem> problems = ConfigurationCheck.crossField(config);
        if (!problems.isEmpty()) {
            throw new ConnectException(problems.get(0).withConfigKey());
        }
        String connector = props.getOrDefault("name", "connector");
        dictionaries = TaskComponents.dictionaries(config, () -> dictionaryStores.apply(config, connector),
                "redcompress-dictionaries-" + Thread.currentThread().getName()); // the task's thread names its task
        WriteLayout layout = TaskComponents.writeLayout(config, connector);
        mapper = TaskComponents.recordMapper(config, dictionaries, layout);
        deadLetters = DeadLetterReporter.from(context);
        offsets = new OffsetTracker();
        pauses = new PartitionPauses(context);
        backoff = new PartitionBackoff(new RetryBudget(config.maxRetries(), config.retryBackoffMillis(),
                config.retryBackoffMaxMillis(), ThreadLocalRandom.current()::nextDouble), context, pauses,
                RedisClientFactory.describeEndpoint(config), nanoClock);
        dictionaryHold = TaskComponents.dictionaryHold(config, layout, dictionaries, mapper, pauses, nanoClock);
        metrics = new SinkMetrics();
        inFlightLimits = new InFlightLimits(config.maxInFlightRecordsPerPartition(), config.maxInFlightBytes(), pauses, metrics);
        metrics.register(pluginMetrics(), mapper::encodingStats, dictionaryStats());
        sender = connect(config, props);
        if (layout instanceof WriteLayout.Buckets buckets) {
            layoutGuard = BucketLayoutGuard.start(config, buckets, "redcompress-layout-" + Thread.currentThread().getName());
            BucketLayoutGuard guard = layoutGuard;
            metrics.registerBuckets(pluginMetrics(), guard.listpackLimits().valueBytes(),
                    () -> guard.encodingSample().buckets(), () -> guard.encodingSample().listpackShare());
            metrics.registerDictionaryHold(pluginMetrics(), dictionaryHold::heldRecords, dictionaryHold::releasedWithoutDictionary);
            log.info("Writing into {} (bucketed layout)", buckets.layout());
        }
        pipelines = new PartitionPipelines(sender, offsets, rejectedWriteHandler(), config.commandTimeout().plusSeconds(5), metrics);
        lastSummaryNanos = nanoClock.getAsLong();
        log.info("Writing to Redis at {} with codec {} ({}), key template '{}', dead-letter topic {}",
                RedisClientFactory.describeEndpoint(config), config.codec().configName(), config.codec().implementation(), config.keyTemplate(),
                deadLetters.isConfigured() ? "configured" : "not configured");
    }

    private java.util.function.Supplier<DictionaryManager.Stats> dictionaryStats() {
        if (dictionaries instanceof DictionaryManager manager) {
            return manager::stats;
        }
        return () -> DictionaryManager.Stats.NONE;
    }

    /** For tests: where dictionaries are stored (compression.dictionary other than none). */
    void useDictionaryStores(BiFunction<RedisSinkConfig, String, DictionaryStore> stores) {
        this.dictionaryStores = stores;
    }

    private RedisWriteSender connect(RedisSinkConfig config, Map<String, String> props) {
        try {
            return senderFactory.apply(config, props);
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
        if (taskFailureFoundAtCommit != null) {
            throw taskFailureFoundAtCommit;
        }
        if (layoutGuard != null) {
            layoutGuard.beforeSending();
        }
        backoff.resumeDue();
        if (!failuresFoundAtCommit.isEmpty()) {
            retry(List.copyOf(failuresFoundAtCommit));
            failuresFoundAtCommit.clear();
        }
        settled(pipelines.settleReady());
        Collection<SinkRecord> batch = withReleased(dictionaryHold.release(), records);
        Map<TopicPartition, List<PendingWrite>> writesByPartition = new LinkedHashMap<>();
        TopicPartition partition = null;
        List<PendingWrite> partitionWrites = null;
        for (SinkRecord record : batch) {
            RecordId id = RecordId.of(record, partition);
            if (id.topicPartition() != partition) {
                partition = id.topicPartition();
                partitionWrites = writesByPartition.get(partition);
            }
            if (!offsets.needsWrite(id) || backoff.isPaused(partition)) {
                // settled before a redelivery, or of a partition rewound for a retry that delivers it again: never
                // sent or reported twice, never out of order
                continue;
            }
            offsets.register(id);
            if (dictionaryHold.holds(record, id)) {
                continue; // registered and never acknowledged while held: no commit passes it
            }
            try {
                Optional<RedisWrite> write = mapper.map(record, id);
                if (write.isPresent()) {
                    if (partitionWrites == null) {
                        partitionWrites = new ArrayList<>(batch.size());
                        writesByPartition.put(partition, partitionWrites);
                    }
                    partitionWrites.add(new PendingWrite(record, write.get()));
                } else {
                    offsets.acknowledge(id);
                }
            } catch (UndecodableRecordException e) {
                deadLetters.report(record, e);
                metrics.deadLettered();
                offsets.acknowledge(id);
            }
        }
        if (!pipelines.allowsOverlappingPipelines()) {
            // one pipeline per partition in flight (a Redis Cluster): wait for the previous one first, and send nothing
            // for a partition it failed, which is rewound and delivers these records again
            settled(pipelines.settleAll(writesByPartition.keySet()));
            writesByPartition.keySet().removeIf(backoff::isPaused);
        }
        writesByPartition.replaceAll(appendSequence::chain);
        pipelines.send(writesByPartition);
        inFlightLimits.apply(pipelines);
        logSummaryNowAndThen();
    }

    /** The held records released now, each partition's in offset order, ahead of the poll's, which come after them. */
    private static Collection<SinkRecord> withReleased(List<SinkRecord> released, Collection<SinkRecord> records) {
        if (released.isEmpty()) {
            return records;
        }
        List<SinkRecord> batch = new ArrayList<>(released.size() + records.size());
        batch.addAll(released);
        batch.addAll(records);
        return batch;
    }

    /** Hands the partitions whose pipelines went through and those that must be retried to the backoff. */
    private void settled(PartitionPipelines.Settled settled) {
        succeeded(settled);
        retry(settled.failures());
    }

    private void succeeded(PartitionPipelines.Settled settled) {
        if (!settled.succeeded().isEmpty()) {
            backoff.succeeded(settled.succeeded());
        }
    }

    /** Rewinds and pauses each failed partition for its retry. */
    private void retry(List<PartitionFailure> failures) {
        if (!failures.isEmpty()) {
            failures.forEach(f -> metrics.retried());
            List<TopicPartition> partitions = failures.stream().map(PartitionFailure::partition).toList();
            appendSequence.restart(partitions);
            dictionaryHold.rewound(partitions);
            backoff.failed(failures);
        }
    }

    /**
     * Waits for every pipeline in flight (each at most until its reply timeout) before answering, so that a commit,
     * and above all the last one before a rebalance or a stop, covers everything Redis acknowledged.
     */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        backoff.resumeDue();
        PartitionPipelines.Settled settled;
        try {
            settled = pipelines.settleAll();
        } catch (ConnectException e) {
            // Connect catches what preCommit throws, rewinds every partition to its last commit and keeps the task
            // running: the task fails at the next put() instead, and nothing is committed meanwhile
            taskFailureFoundAtCommit = e;
            return Map.of();
        }
        succeeded(settled);
        // not rewound here: Connect asks for these offsets also while it revokes partitions, and seeks every rewind at
        // its next poll, when a revoked partition is no longer assigned (the seek would fail the task); the next put()
        // rewinds and pauses them, before it looks at a record, and close() drops those of revoked partitions.
        // Unacknowledged, they hold this commit back either way
        failuresFoundAtCommit.addAll(settled.failures());
        inFlightLimits.apply(pipelines);
        return offsets.committableOffsets(currentOffsets);
    }

    /**
     * Connect pauses again, on assignment, a partition this task had paused when it was revoked; close() forgot it, so
     * nothing would ever resume it. A partition this task does not hold paused is resumed.
     */
    @Override
    public void open(Collection<TopicPartition> partitions) {
        pauses.resumeUnlessPaused(partitions);
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // Connect asked preCommit() for these partitions' offsets just before, which settled what was in flight; what
        // was sent since is abandoned, never committed: the partition's next owner writes it again from the commit
        pipelines.abandon(partitions);
        appendSequence.restart(partitions);
        failuresFoundAtCommit.removeIf(failure -> partitions.contains(failure.partition()));
        offsets.forget(partitions);
        dictionaryHold.forget(partitions); // never acknowledged: the partition's next owner gets them from the commit
        backoff.forget(partitions);
        inFlightLimits.forget(partitions);
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
        if (layoutGuard != null) {
            layoutGuard.close();
        }
        if (mapper != null) {
            mapper.close(); // frees the encoding session's native codec state; stop() runs on the task thread
        }
        if (dictionaries instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("Closing the dictionaries failed", e);
            }
        }
    }

    private PluginMetrics pluginMetrics() {
        try {
            return context.pluginMetrics();
        } catch (UnsupportedOperationException | NoSuchMethodError e) {
            return null; // a worker of Kafka 3.6 to 4.0: supported, without plugin metrics
        }
    }

    private void logSummaryNowAndThen() {
        long now = nanoClock.getAsLong();
        if (now - lastSummaryNanos >= SUMMARY_INTERVAL_NANOS) {
            lastSummaryNanos = now;
            log.info("Since start: {}; acknowledged writes per Redis node: {}", metrics.snapshot(), sender.acknowledgedWritesPerNode());
            if (layoutGuard != null) {
                layoutGuard.warnOnceAboutLongEntries(metrics.bucketEntriesOverListpackValue());
            }
        }
    }
}
