package io.redcompress.connect.dictionary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.mapping.ValueDictionaries;

/**
 * The zstd dictionaries of one task in {@code compression.dictionary=auto} mode, per topic:
 * <ol>
 *   <li>at the first value of a topic, look up the dictionary this connector last used for it (the pointer
 *       {@code <prefix>:active:<connector>:<topic>}) and use it if it is still stored: a restarted task does not
 *       train again;</li>
 *   <li>otherwise sample the topic's values ({@code compression.dictionary.samples} values or
 *       {@code ...sample.bytes}, whichever comes first), train a dictionary on nine tenths of them and measure it
 *       on the rest;</li>
 *   <li>store it ({@link DictionaryStore#store}: SET NX, WAIT) and only once Redis acknowledged it, hand it to the
 *       task thread, which compresses the topic's next values with it. If Redis refuses or fails, values keep
 *       being written without a dictionary and storing is tried again after {@code compression.dictionary.store.retry.ms},
 *       doubling up to 10 minutes;</li>
 *   <li>watch the stored/original ratio of the values compressed with it, per window of {@value #DRIFT_WINDOW_VALUES}
 *       values; when it is worse than the ratio at training by more than {@code compression.dictionary.retrain.threshold}
 *       (and the last training is {@code ...retrain.min.interval.ms} ago), sample again and train a new one, which
 *       replaces the old only if it is at least 5% better on held-out values. Old dictionaries stay in Redis.</li>
 * </ol>
 * Everything that blocks or takes long (Redis, training: about a second for 2,000 small values) runs on one
 * background thread per task; the task thread only reads a volatile field and copies samples, so training never
 * stalls {@code put()}. {@link #forTopic} and {@link #encoded} are for the task thread only.
 */
public final class DictionaryManager implements ValueDictionaries, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DictionaryManager.class);

    /** Values per window of the drift check. */
    static final int DRIFT_WINDOW_VALUES = 1_000;
    /** A retrained dictionary replaces the active one only if its held-out ratio is this much lower. */
    static final double MIN_IMPROVEMENT = 0.05;
    static final Duration MAX_STORE_RETRY = Duration.ofMinutes(10);
    static final Duration EXISTENCE_CHECK_INTERVAL = Duration.ofMinutes(1);

    /** What the manager is told by configuration. */
    public record Settings(int dictionaryBytes, int samples, int sampleBytes, double retrainThreshold,
                           Duration retrainMinInterval, Duration storeRetry) {
    }

    /** Counters for metrics: readable from any thread. */
    public record Stats(long stored, long storedBytes, long storeFailures, long trainings, long retrains,
                        long lastTrainingMillis, long activeTopics) {
    }

    private final Settings settings;
    private final ValueEncoder encoder;
    private final Supplier<DictionaryStore> storeFactory;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService background;
    /** Task thread only. */
    private final Map<String, TopicDictionary> topics = new HashMap<>();
    /** The same states, for the background thread's periodic existence check and for metrics. */
    private final Map<String, TopicDictionary> allTopics = new ConcurrentHashMap<>();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicLong storeFailures = new AtomicLong();
    private final AtomicLong trainings = new AtomicLong();
    private final AtomicLong retrains = new AtomicLong();
    private volatile long lastTrainingMillis;
    /** Background thread only. */
    private DictionaryStore store;
    private volatile boolean closed;

    /**
     * @param encoder      the task's encoder settings (zstd), to measure dictionaries the way values are stored
     * @param storeFactory opens the store; called on the background thread when first needed
     */
    public DictionaryManager(Settings settings, ValueEncoder encoder, Supplier<DictionaryStore> storeFactory,
                             LongSupplier nanoClock, String threadName) {
        this(settings, encoder, storeFactory, nanoClock, threadName, EXISTENCE_CHECK_INTERVAL);
    }

    /** For tests: the active dictionaries are checked every {@code existenceCheck} instead of every minute. */
    DictionaryManager(Settings settings, ValueEncoder encoder, Supplier<DictionaryStore> storeFactory,
                      LongSupplier nanoClock, String threadName, Duration existenceCheck) {
        this.settings = settings;
        this.encoder = encoder;
        this.storeFactory = storeFactory;
        this.nanoClock = nanoClock;
        this.background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, threadName);
            thread.setDaemon(true);
            return thread;
        });
        long check = existenceCheck.toMillis();
        background.scheduleWithFixedDelay(this::checkStillStored, check, check, TimeUnit.MILLISECONDS);
    }

    @Override
    public ZstdDictionary forTopic(String topic) {
        TopicDictionary state = topics.get(topic);
        if (state == null) {
            state = new TopicDictionary(topic);
            topics.put(topic, state);
            allTopics.put(topic, state);
            TopicDictionary lookedUp = state;
            state.jobPending = true;
            submit(() -> lookUp(lookedUp));
            return null;
        }
        return state.active;
    }

    @Override
    public void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used) {
        TopicDictionary state = topics.get(topic);
        if (state == null) {
            return;
        }
        if (state.samples != null) {
            sample(state, original);
        } else if (state.active == null && !state.jobPending && nanoClock.getAsLong() >= state.collectNotBeforeNanos) {
            state.startSampling(false);
            sample(state, original);
        }
        if (used != null && used == state.active) {
            watchDrift(state, original.length, storedLength);
        }
    }

    private void sample(TopicDictionary state, byte[] original) {
        if (!state.drift && state.active != null) {
            state.samples = null; // the look-up found one after all
            return;
        }
        if (state.sampleBytes + original.length <= settings.sampleBytes()) {
            state.samples.add(original.clone());
            state.sampleBytes += original.length;
        }
        if (state.samples.size() >= settings.samples() || state.sampleBytes + original.length > settings.sampleBytes()) {
            List<byte[]> samples = state.samples;
            boolean drift = state.drift;
            state.samples = null;
            state.jobPending = true;
            submit(() -> train(state, samples, drift));
        }
    }

    private void watchDrift(TopicDictionary state, int originalLength, int storedLength) {
        state.windowOriginal += originalLength;
        state.windowStored += storedLength;
        if (++state.windowValues < DRIFT_WINDOW_VALUES) {
            return;
        }
        double ratio = (double) state.windowStored / Math.max(1, state.windowOriginal);
        state.windowOriginal = 0;
        state.windowStored = 0;
        state.windowValues = 0;
        double baseline = state.ratioAtTraining;
        if (Double.isNaN(baseline)) {
            state.ratioAtTraining = ratio; // a dictionary found at start: its first window is the baseline
            return;
        }
        boolean drifted = settings.retrainThreshold() > 0 && ratio > baseline * (1 + settings.retrainThreshold());
        boolean due = nanoClock.getAsLong() - state.lastTrainingNanos >= settings.retrainMinInterval().toNanos();
        if (drifted && due && !state.jobPending && state.samples == null) {
            log.info("Values of topic '{}' now compress to {} of their size with dictionary {}, against {} when it was "
                            + "trained (compression.dictionary.retrain.threshold={}): sampling them to train a new one",
                    state.topic, percent(ratio), state.active.id(), percent(baseline), settings.retrainThreshold());
            state.startSampling(true);
        }
    }

    // ---- background thread ----------------------------------------------------------------------------------------

    private void lookUp(TopicDictionary state) {
        try {
            OptionalLong id = store().activeId(state.topic);
            if (id.isPresent()) {
                byte[] bytes = store().load(id.getAsLong());
                ZstdDictionary dictionary = bytes == null ? null : verified(bytes, id.getAsLong());
                if (dictionary != null) {
                    state.ratioAtTraining = Double.NaN;
                    state.lastTrainingNanos = nanoClock.getAsLong();
                    state.active = dictionary;
                    log.info("Topic '{}': using dictionary {} ({} bytes) again, as this connector did before ({})",
                            state.topic, dictionary.id(), dictionary.size(), store().key(dictionary.id()));
                } else {
                    log.warn("Topic '{}': the dictionary this connector used before, {}, is {}; training a new one",
                            state.topic, store().key(id.getAsLong()), bytes == null ? "no longer stored" : "not a valid dictionary");
                }
            }
        } catch (DictionaryStoreException e) {
            log.warn("Topic '{}': could not look up the dictionary this connector used before: {}. Training a new one.",
                    state.topic, e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Topic '{}': could not look up the dictionary this connector used before", state.topic, e);
        } finally {
            state.jobPending = false;
        }
    }

    private static ZstdDictionary verified(byte[] bytes, long id) {
        try {
            ZstdDictionary dictionary = ZstdDictionary.of(bytes);
            return dictionary.id() == id ? dictionary : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void train(TopicDictionary state, List<byte[]> samples, boolean drift) {
        long start = nanoClock.getAsLong();
        state.lastTrainingNanos = start;
        List<byte[]> training = new ArrayList<>(samples.size());
        List<byte[]> heldOut = new ArrayList<>(samples.size() / 10 + 1);
        for (int i = 0; i < samples.size(); i++) {
            (i % 10 == 9 ? heldOut : training).add(samples.get(i));
        }
        ZstdDictionary trained;
        try {
            trained = DictionaryTrainer.train(training, settings.dictionaryBytes());
        } catch (IllegalArgumentException e) {
            log.warn("Topic '{}': {}. Values stay without a new dictionary; sampling again in {} ms.", state.topic,
                    e.getMessage(), settings.retrainMinInterval().toMillis());
            state.collectNotBeforeNanos = nanoClock.getAsLong() + settings.retrainMinInterval().toNanos();
            state.jobPending = false;
            return;
        }
        trainings.incrementAndGet();
        long millis = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - start);
        lastTrainingMillis = millis;
        double ratio = ratio(trained, heldOut);
        ZstdDictionary current = state.active;
        if (drift && current != null) {
            double currentRatio = ratio(current, heldOut);
            if (ratio > currentRatio * (1 - MIN_IMPROVEMENT)) {
                log.info("Topic '{}': a dictionary trained on recent values compresses them to {}, the current one {} to {}; "
                        + "keeping {}", state.topic, percent(ratio), current.id(), percent(currentRatio), current.id());
                state.ratioAtTraining = currentRatio;
                state.jobPending = false;
                return;
            }
        }
        log.info("Topic '{}': trained dictionary {} ({} bytes) on {} values in {} ms; held-out values compress to {}",
                state.topic, trained.id(), trained.size(), training.size(), millis, percent(ratio));
        storeAndPublish(state, trained, ratio, drift, settings.storeRetry());
    }

    private void storeAndPublish(TopicDictionary state, ZstdDictionary dictionary, double ratio, boolean drift,
                                 Duration retryIn) {
        if (closed) {
            return;
        }
        DictionaryStore.StoreResult result;
        try {
            result = store().store(dictionary);
        } catch (DictionaryStoreException | RuntimeException e) {
            storeFailures.incrementAndGet();
            if (!state.storeFailing) {
                log.warn("Topic '{}': could not store dictionary {} in Redis: {}. Values are written without it; trying "
                        + "again in {} ms.", state.topic, dictionary.id(), e.getMessage(), retryIn.toMillis());
            } else {
                log.debug("Topic '{}': storing dictionary {} failed again: {}", state.topic, dictionary.id(), e.getMessage());
            }
            state.storeFailing = true;
            Duration next = retryIn.multipliedBy(2).compareTo(MAX_STORE_RETRY) > 0 ? MAX_STORE_RETRY : retryIn.multipliedBy(2);
            schedule(() -> storeAndPublish(state, dictionary, ratio, drift, next), retryIn);
            return;
        }
        if (result == DictionaryStore.StoreResult.ID_TAKEN) {
            log.warn("Topic '{}': {} holds another dictionary with the same id; not using dictionary {}. Sampling again "
                    + "in {} ms.", state.topic, store().key(dictionary.id()), dictionary.id(), settings.retrainMinInterval().toMillis());
            state.collectNotBeforeNanos = nanoClock.getAsLong() + settings.retrainMinInterval().toNanos();
            state.jobPending = false;
            return;
        }
        if (result == DictionaryStore.StoreResult.STORED) {
            stored.incrementAndGet();
            storedBytes.addAndGet(dictionary.size());
        }
        if (state.storeFailing) {
            log.info("Topic '{}': dictionary {} is stored now", state.topic, dictionary.id());
            state.storeFailing = false;
        }
        state.ratioAtTraining = ratio;
        state.active = dictionary;
        if (drift) {
            retrains.incrementAndGet();
        }
        log.info("Topic '{}': compressing with dictionary {} from now on ({})", state.topic, dictionary.id(),
                store().key(dictionary.id()));
        state.jobPending = false;
        try {
            store().setActive(state.topic, dictionary.id());
        } catch (DictionaryStoreException | RuntimeException e) {
            log.warn("Topic '{}': could not record dictionary {} as this connector's for the topic: {}. A restarted task "
                    + "will train a new one.", state.topic, dictionary.id(), e.getMessage());
        }
    }

    /** Stores the active dictionaries again if they are gone (evicted under an allkeys-* policy, or deleted). */
    private void checkStillStored() {
        for (TopicDictionary state : allTopics.values()) {
            ZstdDictionary active = state.active;
            if (active == null || closed) {
                continue;
            }
            try {
                if (!store().exists(active.id())) {
                    log.warn("Topic '{}': dictionary {} has disappeared from Redis (evicted? check maxmemory-policy); values "
                            + "naming it cannot be read until it is back: storing it again", state.topic, store().key(active.id()));
                    if (store().store(active) == DictionaryStore.StoreResult.STORED) {
                        stored.incrementAndGet();
                        storedBytes.addAndGet(active.size());
                    }
                }
            } catch (DictionaryStoreException | RuntimeException e) {
                log.debug("Topic '{}': could not check dictionary {}: {}", state.topic, active.id(), e.getMessage());
            }
        }
    }

    private double ratio(ZstdDictionary dictionary, List<byte[]> values) {
        long original = 0;
        long encoded = 0;
        for (byte[] value : values) {
            original += value.length;
            encoded += encoder.encode(value, dictionary).length;
        }
        return original == 0 ? 1.0 : (double) encoded / original;
    }

    private DictionaryStore store() {
        if (store == null) {
            store = storeFactory.get();
            try {
                store.evictionRisk().ifPresent(log::warn);
            } catch (RuntimeException e) {
                log.debug("Could not read the eviction policy", e);
            }
        }
        return store;
    }

    private void submit(Runnable job) {
        schedule(job, Duration.ZERO);
    }

    private void schedule(Runnable job, Duration delay) {
        if (closed) {
            return;
        }
        try {
            background.schedule(() -> {
                try {
                    job.run();
                } catch (RuntimeException e) {
                    log.error("Dictionary job failed; values are written without a new dictionary", e);
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private static String percent(double ratio) {
        return String.format("%.1f%%", 100 * ratio);
    }

    public Stats stats() {
        long active = allTopics.values().stream().filter(t -> t.active != null).count();
        return new Stats(stored.get(), storedBytes.get(), storeFailures.get(), trainings.get(), retrains.get(),
                lastTrainingMillis, active);
    }

    /** The dictionary topic {@code topic} is compressed with now, for tests and logs. */
    ZstdDictionary active(String topic) {
        TopicDictionary state = allTopics.get(topic);
        return state == null ? null : state.active;
    }

    /** Stops the background thread (a training in progress finishes on its own) and closes the store. */
    @Override
    public void close() {
        closed = true;
        background.shutdownNow();
        try {
            if (!background.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("The dictionary thread did not stop within 5 s; it is a daemon and ends with its training");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DictionaryStore s = store;
        if (s != null) {
            s.close();
        }
    }

    /** One topic's dictionary: {@code active} and the ratio are handed over between the threads, the rest belongs to one. */
    private static final class TopicDictionary {
        final String topic;
        volatile ZstdDictionary active;
        volatile double ratioAtTraining = Double.NaN;
        volatile long lastTrainingNanos;
        /** A look-up, a training or a store is queued or running; set by the task thread, cleared by the background one. */
        volatile boolean jobPending;
        volatile long collectNotBeforeNanos = Long.MIN_VALUE;
        /** Background thread only. */
        boolean storeFailing;
        // task thread only
        List<byte[]> samples;
        long sampleBytes;
        boolean drift;
        long windowOriginal;
        long windowStored;
        int windowValues;

        TopicDictionary(String topic) {
            this.topic = topic;
        }

        void startSampling(boolean forDrift) {
            samples = new ArrayList<>();
            sampleBytes = 0;
            drift = forDrift;
        }
    }
}
