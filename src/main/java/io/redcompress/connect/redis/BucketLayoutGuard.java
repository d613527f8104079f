package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
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
    /**
     * A task sends nothing while its last agreeing marker check began longer ago than this; the command-line tool's
     * rebucket waits this plus redis.command.timeout.ms (and nothing less) before it moves entries.
     */
    public static final int MAX_UNCHECKED_SECONDS = 2 * MARKER_CHECK_SECONDS;
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
    private final java.util.function.LongSupplier clock;
    private volatile ConnectException failure;
    /** The last marker that agreed with the configuration, and when the check that read it began (clock nanos). */
    private volatile LayoutMarker lastAgreed;
    private volatile long lastAgreedCheckStarted;
    private volatile EncodingSample encodings = EncodingSample.NONE;
    private boolean warnedAboutLongEntries;

    private BucketLayoutGuard(RedisSinkConfig config, WriteLayout.Buckets buckets, LettuceConnection redis, String threadName,
                              java.util.function.LongSupplier clock) {
        this.config = config;
        this.clock = clock;
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
        BucketLayoutGuard guard = open(config, buckets, threadName, System::nanoTime);
        guard.checks.scheduleWithFixedDelay(guard::checkMarker, MARKER_CHECK_SECONDS, MARKER_CHECK_SECONDS, TimeUnit.SECONDS);
        guard.checks.scheduleWithFixedDelay(guard::sampleEncodings, 5, ENCODING_SAMPLE_SECONDS, TimeUnit.SECONDS);
        return guard;
    }

    /** For tests: claims the marker, with this clock, and schedules nothing: tests call {@link #checkMarker()}. */
    static BucketLayoutGuard open(RedisSinkConfig config, WriteLayout.Buckets buckets, String threadName,
                                  java.util.function.LongSupplier clock) {
        LettuceConnection redis = RedisClientFactory.connect(config);
        BucketLayoutGuard guard;
        try {
            guard = new BucketLayoutGuard(config, buckets, redis, threadName, clock);
            guard.claim();
        } catch (RedisUnavailable e) {
            redis.close();
            throw new ConnectException("Cannot check the bucket layout: " + e.getMessage(), e.getCause());
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        guard.warnAboutListpackLimits();
        guard.warnWhenTheMarkerMayBeEvicted();
        return guard;
    }

    private void claim() {
        long checkStarted = clock.getAsLong();
        BucketLayout layout = buckets.layout();
        byte[] markerKey = layout.markerKey();
        LayoutMarker mine = LayoutMarker.of(layout.count());
        String set = await("SET NX " + text(markerKey), node(markerKey).set(markerKey, mine.bytes(), SetArgs.Builder.nx()));
        if ("OK".equals(set)) {
            log.info("Stored the bucket layout at {}: {}", text(markerKey), mine.format());
            agreed(mine, checkStarted);
            return;
        }
        byte[] stored = await("GET " + text(markerKey), node(markerKey).get(markerKey));
        if (stored == null) {
            throw new RedisUnavailable("the bucket layout marker " + text(markerKey) + " vanished between SET NX and GET", null);
        }
        LayoutMarker marker = parse(markerKey, stored);
        problem(marker, layout, config).ifPresent(p -> {
            throw new ConnectException(p.withConfigKey());
        });
        if (marker.migrating()) {
            log.info("The keyspace at {} is being re-bucketed from {} to {} buckets: tombstones also delete from the "
                    + "previous bucket until it is done", text(layout.prefix()), marker.previousCount(), marker.count());
        }
        agreed(marker, checkStarted);
    }

    /** The marker agrees with the configuration, as read by a check that began at {@code checkStarted}. */
    private void agreed(LayoutMarker marker, long checkStarted) {
        int before = buckets.previousCount();
        buckets.rebucketingFrom(marker.previousCount());
        if (lastAgreed != null && before != marker.previousCount()) {
            log.info(marker.migrating() ? "A re-bucketing from {} to {} buckets began: tombstones also delete from the "
                    + "previous bucket" : "The re-bucketing to {} buckets is done", marker.migrating()
                    ? marker.previousCount() : marker.count(), marker.count());
        }
        lastAgreed = marker;
        lastAgreedCheckStarted = checkStarted;
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

    /**
     * Reads the marker once; a problem the task must stop for is kept for the task thread. A marker that was deleted
     * or evicted is stored again as this task last saw it, re-bucketing state included: stored as a plain count in the
     * middle of a re-bucketing, it would switch off the previous bucket's HDEL of every task and the readers' look
     * there. Synchronized: the task thread checks too when the last check is too old ({@link #beforeSending()}).
     */
    synchronized void checkMarker() {
        if (failure != null) {
            return;
        }
        long checkStarted = clock.getAsLong();
        try {
            BucketLayout layout = buckets.layout();
            byte[] markerKey = layout.markerKey();
            byte[] stored = await("GET " + text(markerKey), node(markerKey).get(markerKey));
            if (stored == null) {
                LayoutMarker restored = lastAgreed;
                String set = await("SET NX " + text(markerKey), node(markerKey).set(markerKey, restored.bytes(),
                        SetArgs.Builder.nx()));
                log.warn("The bucket layout marker {} was gone (deleted, or evicted under an allkeys-* maxmemory-policy); "
                        + "{} it as this task last saw it: {}", text(markerKey), "OK".equals(set) ? "stored" : "another task stored",
                        restored.format());
                return; // the next check reads what is there now
            }
            LayoutMarker marker = parse(markerKey, stored);
            Optional<Problem> problem = problem(marker, layout, config);
            if (problem.isPresent()) {
                failure = new ConnectException("The bucket layout changed while the task ran: " + problem.get().withConfigKey());
                return;
            }
            agreed(marker, checkStarted);
        } catch (ConnectException e) {
            failure = e;
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: every failure of the moment is logged and retried
            log.warn("Reading the bucket layout marker failed ({}); trying again in {} s", e.getMessage(), MARKER_CHECK_SECONDS);
        }
    }

    /**
     * Called by the task before it sends anything: rethrows a problem the marker checks found, and refuses to send
     * while the last check that found the marker agreeing began more than {@value #MAX_UNCHECKED_SECONDS} s ago (it
     * checks once more first, on this thread). That bound is what the command-line tool's rebucket relies on: no task
     * sends by an old count later than {@value #MAX_UNCHECKED_SECONDS} s after the marker changed, so its grace of
     * that plus redis.command.timeout.ms covers the last such write.
     *
     * @throws ConnectException          when the stored layout no longer agrees with the configuration
     * @throws RetriableException when the marker could not be read lately; Connect delivers the batch again
     */
    public void beforeSending() {
        throwIfFailed();
        if (clock.getAsLong() - lastAgreedCheckStarted <= TimeUnit.SECONDS.toNanos(MAX_UNCHECKED_SECONDS)) {
            return;
        }
        checkMarker();
        throwIfFailed();
        long unchecked = clock.getAsLong() - lastAgreedCheckStarted;
        if (unchecked > TimeUnit.SECONDS.toNanos(MAX_UNCHECKED_SECONDS)) {
            throw new RetriableException("The bucket layout marker " + text(buckets.layout().markerKey()) + " could not be "
                    + "read for " + TimeUnit.NANOSECONDS.toSeconds(unchecked) + " s; nothing is written until it can be, "
                    + "since a re-bucketing may have begun meanwhile");
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

    /**
     * Under an allkeys-* policy Redis may evict the marker (and buckets, like any key): a running task stores the
     * marker again as it last saw it, but one that starts meanwhile would store its own configuration.
     */
    private void warnWhenTheMarkerMayBeEvicted() {
        try {
            String policy = await("CONFIG GET maxmemory-policy", redis.commands().configGet("maxmemory-policy"))
                    .getOrDefault("maxmemory-policy", "");
            if (policy.startsWith("allkeys-")) {
                log.warn("Redis's maxmemory-policy is {}: it may evict buckets (records lost from Redis, as keys would be) "
                        + "and the layout marker {}. Prefer a volatile-* policy or noeviction for a bucketed keyspace",
                        policy, text(buckets.layout().markerKey()));
            }
        } catch (RuntimeException e) {
            log.debug("Cannot read maxmemory-policy: {}", e.getMessage());
        }
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
            throw new ConnectException(notAMarker(markerKey, e).withConfigKey());
        }
    }

    /** A key at the marker's place that holds something else. */
    static Problem notAMarker(byte[] markerKey, IllegalArgumentException parseFailure) {
        return new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, "The key " + text(markerKey) + " should hold the bucket "
                + "layout but does not: " + parseFailure.getMessage() + ". Choose another " + RedisSinkConfig.REDIS_BUCKET_PREFIX
                + ", or delete the key if nothing else uses it.");
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
