package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.SetArgs;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.mapping.WriteLayout;
import io.redcompress.connect.redis.RedisConnectivityCheck.Problem;

/**
 * Keeps a task's bucketed writes in agreement with the layout stored in Redis. At start, it claims the layout marker
 * ({@code SET NX}; a task whose configuration disagrees with a marker already there does not start) and reads Redis's
 * listpack limits. Then, on its own thread, it reads the marker again every {@value #MARKER_CHECK_SECONDS} s: a
 * re-bucketing begun by the command-line tool turns on the extra HDEL of tombstones ({@link WriteLayout.Buckets}), and a
 * count that no longer agrees fails the task (rethrown on the task thread by {@link #throwIfFailed()}), since its
 * writes would go to buckets no reader looks in. It also samples the encoding of a few buckets now and then, for the
 * share of listpack buckets in the metrics.
 */
public final class BucketLayoutGuard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BucketLayoutGuard.class);
    /** How often tasks read the marker; the command-line tool's rebucket waits longer than this before moving entries. */
    public static final int MARKER_CHECK_SECONDS = 10;
    private static final int ENCODING_SAMPLE_SECONDS = 60;
    private static final int ENCODING_SAMPLE_BUCKETS = 16;
    private static final long SLACK_MILLIS = 1_000;

    /** Redis's limits for listpack-encoded hashes; a bucket that exceeds either becomes a hashtable for good. */
    public record ListpackLimits(int entries, int valueBytes) {
        public static final ListpackLimits DEFAULTS = new ListpackLimits(BucketLayout.DEFAULT_LISTPACK_ENTRIES,
                BucketLayout.DEFAULT_LISTPACK_VALUE);
    }

    /** The latest sample of bucket encodings: how many existing buckets were looked at, and how many were listpacks. */
    public record EncodingSample(int buckets, int listpacks) {
        public static final EncodingSample NONE = new EncodingSample(0, 0);

        /** listpacks / buckets, or -1 before any bucket was sampled. */
        public double listpackShare() {
            return buckets == 0 ? -1 : (double) listpacks / buckets;
        }
    }

    private final RedisSinkConfig config;
    private final WriteLayout.Buckets buckets;
    private final LettuceConnection redis;
    private final long timeoutMillis;
    private final ScheduledExecutorService checks;
    private final ListpackLimits limits;
    private volatile ConnectException failure;
    private volatile EncodingSample encodings = EncodingSample.NONE;
    private boolean warnedAboutLongEntries;

    private BucketLayoutGuard(RedisSinkConfig config, WriteLayout.Buckets buckets, LettuceConnection redis, String threadName) {
        this.config = config;
        this.buckets = buckets;
        this.redis = redis;
        this.timeoutMillis = config.commandTimeout().toMillis() + SLACK_MILLIS;
        this.limits = readListpackLimits();
        this.checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Claims the marker and starts the checks.
     *
     * @throws ConnectException when the stored layout disagrees with the configuration (the message names both and the
     *                          key to change), or Redis cannot be read
     */
    public static BucketLayoutGuard start(RedisSinkConfig config, WriteLayout.Buckets buckets, String threadName) {
        LettuceConnection redis = RedisClientFactory.connect(config);
        BucketLayoutGuard guard;
        try {
            guard = new BucketLayoutGuard(config, buckets, redis, threadName);
            guard.claim();
        } catch (RedisUnavailable e) {
            redis.close();
            throw new ConnectException("Cannot check the bucket layout: " + e.getMessage(), e.getCause());
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        guard.warnAboutListpackLimits();
        guard.checks.scheduleWithFixedDelay(guard::checkMarker, MARKER_CHECK_SECONDS, MARKER_CHECK_SECONDS, TimeUnit.SECONDS);
        guard.checks.scheduleWithFixedDelay(guard::sampleEncodings, 5, ENCODING_SAMPLE_SECONDS, TimeUnit.SECONDS);
        return guard;
    }

    private void claim() {
        BucketLayout layout = buckets.layout();
        byte[] markerKey = layout.markerKey();
        LayoutMarker mine = LayoutMarker.of(layout.count());
        String set = await("SET NX " + text(markerKey), node(markerKey).set(markerKey, mine.bytes(), SetArgs.Builder.nx()));
        if ("OK".equals(set)) {
            log.info("Stored the bucket layout at {}: {}", text(markerKey), mine.format());
            return;
        }
        byte[] stored = await("GET " + text(markerKey), node(markerKey).get(markerKey));
        if (stored == null) {
            throw new ConnectException("The bucket layout marker " + text(markerKey) + " vanished while this task claimed it; "
                    + "restart the task");
        }
        LayoutMarker marker = parse(markerKey, stored);
        problem(marker, layout, config).ifPresent(p -> {
            throw new ConnectException(p.withConfigKey());
        });
        buckets.rebucketingFrom(marker.previousCount());
        if (marker.migrating()) {
            log.info("The keyspace at {} is being re-bucketed from {} to {} buckets: tombstones also delete from the "
                    + "previous bucket until it is done", text(layout.prefix()), marker.previousCount(), marker.count());
        }
    }

    /**
     * What is wrong with writing {@code configured} beside {@code stored}, or empty when they agree; shared by
     * validate() and the task's start, so that both say it in the same words.
     */
    static Optional<Problem> problem(LayoutMarker stored, BucketLayout configured, RedisSinkConfig config) {
        String markerKey = text(configured.markerKey());
        if (!stored.understood()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, "The bucket layout stored at " + markerKey
                    + " is '" + stored.format() + "', which this version of the connector does not write (it writes version "
                    + LayoutMarker.VERSION + ", hash " + BucketLayout.HASH_NAME + ", field " + BucketLayout.FIELD_RULE
                    + "). Upgrade the connector, or choose another " + RedisSinkConfig.REDIS_BUCKET_PREFIX + "."));
        }
        int count = configured.count();
        String configuredText = RedisSinkConfig.REDIS_BUCKET_COUNT + "=" + count + (config.bucketCountSetting() == 0
                ? " (derived from " + RedisSinkConfig.REDIS_BUCKET_EXPECTED_KEYS + "=" + config.bucketExpectedKeys() + ")" : "");
        if (stored.migrating() && count == stored.previousCount()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_COUNT, "The keyspace at " + markerKey + " is being "
                    + "re-bucketed from " + stored.previousCount() + " to " + stored.count() + " buckets, and this task is "
                    + "configured with " + configuredText + ", the old count. Set " + RedisSinkConfig.REDIS_BUCKET_COUNT
                    + "=" + stored.count() + "."));
        }
        if (count != stored.count()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_COUNT, "The bucket layout stored at " + markerKey
                    + " has count=" + stored.count() + " but this task is configured with " + configuredText + ": its "
                    + "values would go to buckets no reader looks in. Set " + RedisSinkConfig.REDIS_BUCKET_COUNT + "="
                    + stored.count() + ", or re-bucket the keyspace to " + count + " first with the command-line tool "
                    + "('rebucket --to " + count + "', docs/bucketed-layout.md)."));
        }
        if (stored.migrating() && config.redisMode() == RedisMode.CLUSTER) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_COUNT, "The keyspace at " + markerKey + " is being "
                    + "re-bucketed from " + stored.previousCount() + " to " + stored.count() + " buckets on a Redis Cluster, "
                    + "where an entry's old and new buckets lie in different slots and no write can be made safe against "
                    + "the move: start the connector again once the command-line tool's rebucket has finished."));
        }
        return Optional.empty();
    }

    /** Reads the marker once; a problem the task must stop for, kept for the task thread. */
    private void checkMarker() {
        if (failure != null) {
            return;
        }
        try {
            BucketLayout layout = buckets.layout();
            byte[] stored = await("GET " + text(layout.markerKey()), node(layout.markerKey()).get(layout.markerKey()));
            if (stored == null) {
                log.warn("The bucket layout marker {} is gone (deleted or evicted); storing it again", text(layout.markerKey()));
                claim();
                return;
            }
            LayoutMarker marker = parse(layout.markerKey(), stored);
            Optional<Problem> problem = problem(marker, layout, config);
            if (problem.isPresent()) {
                failure = new ConnectException("The bucket layout changed while the task ran: " + problem.get().withConfigKey());
                return;
            }
            int before = buckets.previousCount();
            buckets.rebucketingFrom(marker.previousCount());
            if (before != marker.previousCount()) {
                log.info(marker.migrating() ? "A re-bucketing from {} to {} buckets began: tombstones also delete from the "
                        + "previous bucket" : "The re-bucketing to {} buckets is done", marker.migrating()
                        ? marker.previousCount() : marker.count(), marker.count());
            }
        } catch (ConnectException e) {
            failure = e;
        } catch (RedisUnavailable e) {
            log.warn("Reading the bucket layout marker failed ({}); trying again in {} s", e.getMessage(), MARKER_CHECK_SECONDS);
        }
    }

    private void sampleEncodings() {
        try {
            BucketLayout layout = buckets.layout();
            int seen = 0;
            int listpacks = 0;
            for (int i = 0; i < ENCODING_SAMPLE_BUCKETS; i++) {
                byte[] key = layout.bucketKey(ThreadLocalRandom.current().nextInt(layout.count()));
                String encoding = await("OBJECT ENCODING", node(key).objectEncoding(key));
                if (encoding != null) {
                    seen++;
                    if (encoding.equals("listpack") || encoding.equals("ziplist")) {
                        listpacks++;
                    }
                }
            }
            if (seen > 0) {
                encodings = new EncodingSample(seen, listpacks);
            }
        } catch (RuntimeException e) {
            log.debug("Sampling bucket encodings failed: {}", e.getMessage());
        }
    }

    /**
     * Warns once, with the setting to change, when entries longer than hash-max-listpack-value have been written
     * ({@code entries} so far); called now and then from the task thread.
     */
    public void warnOnceAboutLongEntries(long entries) {
        if (entries > 0 && !warnedAboutLongEntries) {
            warnedAboutLongEntries = true;
            log.warn("{} entries were written whose field or encoded value is longer than Redis's hash-max-listpack-value={}: "
                    + "each turns its bucket into a hashtable for good, which costs about twice the memory per entry. "
                    + "Raise it in Redis (CONFIG SET hash-max-listpack-value 128 is enough for dictionary-compressed "
                    + "heartbeats), or shorten the keys (key.template); see the metric bucket-entries-over-listpack-value-total",
                    entries, limits.valueBytes());
        }
    }

    /** Rethrows, on the task thread, the problem the marker checks found. */
    public void throwIfFailed() {
        ConnectException found = failure;
        if (found != null) {
            throw found;
        }
    }

    public ListpackLimits listpackLimits() {
        return limits;
    }

    public EncodingSample encodingSample() {
        return encodings;
    }

    /** Redis's hash-max-listpack-entries and -value (hash-max-ziplist-* before Redis 7), or the defaults if CONFIG is refused. */
    private ListpackLimits readListpackLimits() {
        try {
            int entries = configValue("hash-max-listpack-entries", "hash-max-ziplist-entries");
            int value = configValue("hash-max-listpack-value", "hash-max-ziplist-value");
            return new ListpackLimits(entries, value);
        } catch (RuntimeException e) {
            log.info("Cannot read Redis's listpack limits ({}); assuming its defaults, hash-max-listpack-entries={} and "
                    + "hash-max-listpack-value={}", e.getMessage(), ListpackLimits.DEFAULTS.entries(), ListpackLimits.DEFAULTS.valueBytes());
            return ListpackLimits.DEFAULTS;
        }
    }

    private int configValue(String name, String olderName) {
        Map<String, String> values = await("CONFIG GET " + name, redis.commands().configGet(name));
        String value = values.get(name);
        if (value == null) {
            value = await("CONFIG GET " + olderName, redis.commands().configGet(olderName)).get(olderName);
        }
        if (value == null) {
            throw new IllegalStateException("Redis knows neither " + name + " nor " + olderName);
        }
        return Integer.parseInt(value.trim());
    }

    /** Warns, with the setting to change, when buckets of the configured size would outgrow their listpacks. */
    private void warnAboutListpackLimits() {
        BucketLayout layout = buckets.layout();
        if (config.bucketExpectedKeys() > 0) {
            long perBucket = (config.bucketExpectedKeys() + layout.count() - 1) / layout.count();
            if (perBucket > BucketLayout.targetEntriesPerBucket(limits.entries())) {
                log.warn("{}={} in {} buckets is {} entries per bucket on average, too many for Redis's hash-max-listpack-entries={}: "
                        + "many buckets will become hashtables (about twice the memory). Raise {} to at least {}, or raise "
                        + "hash-max-listpack-entries in Redis", RedisSinkConfig.REDIS_BUCKET_EXPECTED_KEYS, config.bucketExpectedKeys(),
                        layout.count(), perBucket, limits.entries(), RedisSinkConfig.REDIS_BUCKET_COUNT,
                        BucketLayout.bucketsFor(config.bucketExpectedKeys(), limits.entries()));
            }
        }
        if (limits.valueBytes() < 128 && config.dictionaryMode().enabled()) {
            log.info("Redis's hash-max-listpack-value is {}: with zstd dictionaries a small share of values is longer, and "
                    + "each one turns its whole bucket into a hashtable. CONFIG SET hash-max-listpack-value 128 keeps "
                    + "almost every bucket a listpack (docs/bucketed-layout.md)", limits.valueBytes());
        }
    }

    /** Redis did not answer, or answered with an error: a failure of the moment, unlike a marker that disagrees. */
    private static final class RedisUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RedisUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private <T> T await(String what, io.lettuce.core.RedisFuture<T> reply) {
        try {
            return reply.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailable("interrupted while waiting for " + what, e);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new RedisUnavailable(what + " on Redis at " + RedisClientFactory.describeEndpoint(config) + " failed: "
                    + ReplyClassifier.describe(cause), cause);
        }
    }

    /** The connection of the node that owns {@code key} (in a cluster, its slot's master by the client's slot map). */
    private io.lettuce.core.api.async.RedisAsyncCommands<byte[], byte[]> node(byte[] key) {
        try {
            return redis.connectionFor(key).async();
        } catch (RuntimeException e) {
            throw new RedisUnavailable("connecting to the node of " + text(key) + " failed: " + e.getMessage(), e);
        }
    }

    private static LayoutMarker parse(byte[] markerKey, byte[] stored) {
        try {
            return LayoutMarker.parse(stored);
        } catch (IllegalArgumentException e) {
            throw new ConnectException("The key " + text(markerKey) + " should hold the bucket layout but does not: "
                    + e.getMessage() + ". Choose another " + RedisSinkConfig.REDIS_BUCKET_PREFIX + ", or delete the key if "
                    + "nothing else uses it (config key: " + RedisSinkConfig.REDIS_BUCKET_PREFIX + ")");
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        checks.shutdownNow();
        redis.close();
    }
}
