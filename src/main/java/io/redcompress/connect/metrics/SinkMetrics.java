package io.redcompress.connect.metrics;

import java.util.LinkedHashMap;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;

import io.redcompress.connect.codec.EncodingSession;
import io.redcompress.connect.dictionary.DictionaryManager;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * What operators watch, per task: records written and deleted, bytes before and after compression, records sent
 * to the dead-letter topic, retries and pipeline latency. Written by the task thread only; volatile so that JMX
 * readers see current values. Registered as Connect plugin metrics (JMX: kafka.connect:type=plugins,...).
 */
public final class SinkMetrics {

    private volatile long valuesWritten;
    private volatile long duplicatesSkipped;
    private volatile long keysDeleted;
    private volatile long originalBytes;
    private volatile long encodedBytes;
    private volatile long deadLettered;
    private volatile long rejectedByRedis;
    private volatile long retries;
    private volatile long pipelines;
    private volatile long pipelineNanosTotal;
    private volatile long pipelineNanosMax;
    private volatile long recordsInFlight;
    private volatile long bytesInFlight;
    private volatile long inFlightPauses;
    private volatile long bucketEntriesOverListpackValue;
    /** Redis's hash-max-listpack-value, for the bucketed layout; no limit otherwise. */
    private volatile int listpackValueBytes = Integer.MAX_VALUE;

    /** Publishes the counters through the worker's metrics; a worker without plugin metrics (before 4.1) is fine. */
    public void register(PluginMetrics pluginMetrics, Supplier<EncodingSession.Stats> encoding) {
        register(pluginMetrics, encoding, () -> DictionaryManager.Stats.NONE);
    }


    /** As {@link #register(PluginMetrics, Supplier)}, with what the task's dictionaries did (compression.dictionary=auto). */
    public void register(PluginMetrics pluginMetrics, Supplier<EncodingSession.Stats> encoding,
                         Supplier<DictionaryManager.Stats> dictionaries) {
        if (pluginMetrics == null) {
            return;
        }
        gauge(pluginMetrics, "values-with-dictionary-total", "Values stored compressed with a zstd dictionary",
                () -> encoding.get().withDictionary());
        gauge(pluginMetrics, "dictionaries-stored-total", "Dictionaries this task stored in Redis", () -> dictionaries.get().stored());
        gauge(pluginMetrics, "dictionary-bytes-stored-total", "Redis memory this task spent on dictionaries (their bytes)",
                () -> dictionaries.get().storedBytes());
        gauge(pluginMetrics, "dictionary-store-failures-total", "Attempts to store a dictionary that Redis refused or did not "
                + "answer; values are written without it meanwhile", () -> dictionaries.get().storeFailures());
        gauge(pluginMetrics, "dictionary-trainings-total", "Dictionaries trained", () -> dictionaries.get().trainings());
        gauge(pluginMetrics, "dictionary-retrains-total", "Dictionaries replaced because values drifted away from them",
                () -> dictionaries.get().retrains());
        gauge(pluginMetrics, "dictionary-training-time-ms", "Duration of the last training (on a background thread)",
                () -> dictionaries.get().lastTrainingMillis());
        gauge(pluginMetrics, "dictionaries-restored-total", "Dictionaries stored again after they disappeared from Redis "
                + "(evicted or deleted)", () -> dictionaries.get().restored());
        gauge(pluginMetrics, "dictionary-topics-active", "Topics whose values are compressed with a dictionary now",
                () -> dictionaries.get().activeTopics());
        gauge(pluginMetrics, "compression-attempted-total", "Values the codec was run on", () -> encoding.get().attempted());
        gauge(pluginMetrics, "compression-skipped-total", "Values stored uncompressed without trying, because values of "
                + "their size did not shrink by 3% lately (one in 32 is still tried)", () -> encoding.get().skipped());
        gauge(pluginMetrics, "values-written-total", "Values written to Redis (SET acknowledged)", () -> valuesWritten);
        gauge(pluginMetrics, "keys-deleted-total", "Keys deleted for tombstones (DEL acknowledged)", () -> keysDeleted);
        gauge(pluginMetrics, "duplicates-skipped-total", "Exactly-once appends not applied because their record was applied "
                + "before (at or below its high-water mark): redelivered records", () -> duplicatesSkipped);
        gauge(pluginMetrics, "bytes-original-total", "Serialised value bytes before compression", () -> originalBytes);
        gauge(pluginMetrics, "bytes-encoded-total", "Value bytes written to Redis, header included", () -> encodedBytes);
        gauge(pluginMetrics, "compression-ratio", "Encoded bytes / original bytes", () -> snapshot().compressionRatio());
        gauge(pluginMetrics, "dead-lettered-total", "Records sent to the dead-letter topic", () -> deadLettered);
        gauge(pluginMetrics, "rejected-by-redis-total", "Writes Redis refused for good", () -> rejectedByRedis);
        gauge(pluginMetrics, "retries-total", "Partition pipelines retried after a transient failure", () -> retries);
        gauge(pluginMetrics, "pipelines-total", "Partition pipelines whose replies were all received", () -> pipelines);
        gauge(pluginMetrics, "pipeline-latency-avg-us", "Mean time from send to last reply", () -> snapshot().meanPipelineMicros());
        gauge(pluginMetrics, "records-in-flight", "Records sent to Redis whose replies are not settled yet", () -> recordsInFlight);
        gauge(pluginMetrics, "bytes-in-flight", "Estimated heap held by the records in flight (max.in.flight.bytes bounds it)",
                () -> bytesInFlight);
        gauge(pluginMetrics, "in-flight-pauses-total", "Times a partition was paused because too much was in flight",
                () -> inFlightPauses);
        gauge(pluginMetrics, "pipeline-latency-max-us", "Longest time from send to last reply", () -> snapshot().maxPipelineMicros());
    }

    private static void gauge(PluginMetrics pluginMetrics, String name, String description, Supplier<Number> value) {
        Gauge<Number> gauge = (config, now) -> value.get();
        pluginMetrics.addMetric(pluginMetrics.metricName(name, description, new LinkedHashMap<>()), gauge);
    }

    /**
     * Publishes the bucketed layout's health: how many entries were written too long for a listpack (each turns its
     * bucket into a hashtable), and the share of listpack buckets in the latest sample.
     *
     * @param listpackValueBytes Redis's hash-max-listpack-value
     * @param sampledBuckets     the number of buckets whose encoding was looked at last
     * @param listpackShare      the share of those that are listpacks, or -1 before the first sample
     */
    public void registerBuckets(PluginMetrics pluginMetrics, int listpackValueBytes, Supplier<Number> sampledBuckets,
                                Supplier<Number> listpackShare) {
        this.listpackValueBytes = listpackValueBytes;
        if (pluginMetrics == null) {
            return;
        }
        gauge(pluginMetrics, "bucket-entries-over-listpack-value-total", "Entries written whose field or value is longer "
                + "than Redis's hash-max-listpack-value: each turns its bucket into a hashtable for good",
                () -> bucketEntriesOverListpackValue);
        gauge(pluginMetrics, "buckets-sampled", "Buckets whose encoding was sampled last (OBJECT ENCODING, every minute)",
                sampledBuckets);
        gauge(pluginMetrics, "buckets-listpack-ratio", "Share of the sampled buckets that are listpack-encoded (-1: none "
                + "sampled yet)", listpackShare);
    }

    /**
     * Publishes what the bucketed layout's hold for dictionaries does: the records held now, and those written without
     * a dictionary because their hold ran out (compression.dictionary.hold.max.ms or the max.in.flight bounds).
     */
    public void registerDictionaryHold(PluginMetrics pluginMetrics, Supplier<Number> held,
                                       Supplier<Number> releasedWithoutDictionary) {
        if (pluginMetrics == null) {
            return;
        }
        gauge(pluginMetrics, "records-held-for-dictionary", "Records held, not yet written nor committed, until their "
                + "topic's dictionary exists (redis.layout=buckets with compression.dictionary=auto)", held);
        gauge(pluginMetrics, "records-released-without-dictionary-total", "Held records written without a dictionary "
                + "because their hold ran out (compression.dictionary.hold.max.ms, max.in.flight.*)", releasedWithoutDictionary);
    }

    /** A tally for one pipeline's writes. */
    public Written newWritten() {
        return new Written(listpackValueBytes);
    }

    /** What one pipeline wrote, added up on the task thread and published at once. */
    public static final class Written {
        private final int listpackValueBytes;
        private long values;
        private long deletes;
        private long duplicates;
        private long originalBytes;
        private long encodedBytes;
        private long overListpackValue;

        public Written() {
            this(Integer.MAX_VALUE);
        }

        private Written(int listpackValueBytes) {
            this.listpackValueBytes = listpackValueBytes;
        }

        public void add(RedisWrite write) {
            if (write instanceof RedisWrite.SetField set
                    && Math.max(set.field().length, set.encodedValue().length) > listpackValueBytes) {
                overListpackValue++;
            }
            if (!write.removes()) {
                values++;
                originalBytes += write.originalLength();
                encodedBytes += write.encodedLength();
            } else {
                deletes++;
            }
        }

        /** An exactly-once append acknowledged as applied before: counted apart, nothing was written. */
        public void addDuplicate() {
            duplicates++;
        }
    }

    public void written(Written written) {
        if (written.values > 0) {
            valuesWritten += written.values;
            originalBytes += written.originalBytes;
            encodedBytes += written.encodedBytes;
        }
        if (written.deletes > 0) {
            keysDeleted += written.deletes;
        }
        if (written.duplicates > 0) {
            duplicatesSkipped += written.duplicates;
        }
        if (written.overListpackValue > 0) {
            bucketEntriesOverListpackValue += written.overListpackValue;
        }
    }

    public long bucketEntriesOverListpackValue() {
        return bucketEntriesOverListpackValue;
    }

    /** Records and estimated heap bytes sent to Redis and not yet settled, all partitions. */
    public void inFlight(long records, long bytes) {
        recordsInFlight = records;
        bytesInFlight = bytes;
    }

    public void pausedForInFlight() {
        inFlightPauses++;
    }

    public void deadLettered() {
        deadLettered++;
    }

    public void rejected() {
        rejectedByRedis++;
    }

    public void retried() {
        retries++;
    }

    public void pipelineCompleted(long nanos) {
        pipelines++;
        pipelineNanosTotal += nanos;
        pipelineNanosMax = Math.max(pipelineNanosMax, nanos);
    }

    public Snapshot snapshot() {
        return new Snapshot(valuesWritten, keysDeleted, duplicatesSkipped, originalBytes, encodedBytes, deadLettered,
                rejectedByRedis, retries, pipelines,
                pipelines == 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(pipelineNanosTotal / pipelines),
                TimeUnit.NANOSECONDS.toMicros(pipelineNanosMax), inFlightPauses);
    }

    public record Snapshot(long valuesWritten, long keysDeleted, long duplicatesSkipped, long originalBytes, long encodedBytes,
                           long deadLettered, long rejectedByRedis, long retries, long pipelines,
                           long meanPipelineMicros, long maxPipelineMicros, long inFlightPauses) {

        /** encoded / original: 0.25 means values take a quarter of their original size in Redis. */
        public double compressionRatio() {
            return originalBytes == 0 ? 1.0 : (double) encodedBytes / originalBytes;
        }

        @Override
        public String toString() {
            return String.format("values written=%d, keys deleted=%d, duplicates skipped=%d, bytes original=%d encoded=%d "
                            + "(ratio %.3f), dead-lettered=%d, rejected by Redis=%d, retries=%d, pipelines=%d (mean %d us, "
                            + "max %d us), pauses for writes in flight=%d",
                    valuesWritten, keysDeleted, duplicatesSkipped, originalBytes, encodedBytes, compressionRatio(), deadLettered,
                    rejectedByRedis, retries, pipelines, meanPipelineMicros, maxPipelineMicros, inFlightPauses);
        }
    }
}
