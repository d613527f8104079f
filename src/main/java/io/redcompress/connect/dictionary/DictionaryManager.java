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
 * stalls {@code put()}. {@link #forTopic}, {@link #encoded}, {@link #readiness} and {@link #held} are for the task
 * thread only.
 */
public final class DictionaryManager implements ValueDictionaries, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DictionaryManager.class);

    /** Values per window of the drift check. */
    static final int DRIFT_WINDOW_VALUES = 1_000;
    /** A retrained dictionary replaces the active one only if its held-out ratio is this much lower. */
    static final double MIN_IMPROVEMENT = 0.05;
    static final Duration MAX_STORE_RETRY = Duration.ofMinutes(10);
    static final Duration EXISTENCE_CHECK_INTERVAL = Duration.ofMinutes(1);
    static final int MAX_CHECKED_DICTIONARIES = 32;

    /** What the manager is told by configuration. */
    public record Settings(int dictionaryBytes, int samples, int sampleBytes, double retrainThreshold,
                           Duration retrainMinInterval, Duration storeRetry) {
    }

    /** Counters for metrics: readable from any thread. */
    public record Stats(long stored, long storedBytes, long storeFailures, long trainings, long retrains,
                        long lastTrainingMillis, long activeTopics, long restored) {

        /** No dictionaries: compression.dictionary=none, or a pinned one. */
        public static final Stats NONE = new Stats(0, 0, 0, 0, 0, 0, 0, 0);
    }

    private final Settings settings;
    private final ValueEncoder encoder;
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
    private final AtomicLong restored = new AtomicLong();
    private volatile long lastTrainingMillis;
    /** Opened (without connecting) in the constructor; used by the background thread only, closed by close(). */
    private final DictionaryStore store;
    /** Task thread: bytes held in sample lists not yet trained on, all topics (bounded by ...sample.bytes per task). */
    private final AtomicLong sampleBytesHeld = new AtomicLong();
    /**
     * Every dictionary this task has compressed with, newest last (at most {@value #MAX_CHECKED_DICTIONARIES}): the
     * periodic check stores each again if it disappears, since values name them. Background thread only.
     */
    private final java.util.Deque<ZstdDictionary> used = new java.util.ArrayDeque<>();
    private boolean evictionWarningChecked;
    private volatile boolean closed;

    /**
     * @param encoder      the task's encoder settings (zstd), to measure dictionaries the way values are stored
     * @param storeFactory opens the store, which must not connect before it is first used (on the background thread)
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
        this.store = storeFactory.get();
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
            submit(state, () -> lookUp(lookedUp));
            // sampled while the look-up runs, so that a fast stream does not pass before it answers; dropped if it finds one
            state.startSampling(false);
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
        offer(state, original);
        if (used != null && used == state.active) {
            watchDrift(state, original.length, storedLength);
        }
    }

    @Override
    public Readiness readiness(String topic) {
        return readiness(known(topic));
    }

    /** A held value is sampled like an encoded one, and never watched for drift: it was not compressed. */
    @Override
    public Readiness held(String topic, byte[] original) {
        TopicDictionary state = known(topic);
        if (original != null && state.active == null) {
            offer(state, original);
        }
        return readiness(state);
    }

    /** The topic's state; a topic not seen before is registered as {@link #forTopic} does (look-up, sampling). */
    private TopicDictionary known(String topic) {
        TopicDictionary state = topics.get(topic);
        if (state == null) {
            forTopic(topic);
            state = topics.get(topic);
        }
        return state;
    }

    private Readiness readiness(TopicDictionary state) {
        if (state.active != null) {
            return Readiness.ACTIVE;
        }
        if (state.samples != null || maySampleAgain(state)) {
            return Readiness.SAMPLING;
        }
        // a job still pending is a training, a store or a store waiting for its retry; none is a training that failed
        // or a dictionary refused, sampled again only after compression.dictionary.retrain.min.interval.ms
        return state.jobs.get() > 0 ? Readiness.PREPARING : Readiness.NONE;
    }

    /** Samples {@code original} while the topic is sampled, or starts sampling again when nothing is under way. */
    private void offer(TopicDictionary state, byte[] original) {
        if (state.samples != null) {
            sample(state, original);
        } else if (maySampleAgain(state)) {
            state.startSampling(false);
            sample(state, original);
        }
    }

    private boolean maySampleAgain(TopicDictionary state) {
        return state.active == null && state.held == null && state.jobs.get() == 0
                && nanoClock.getAsLong() >= state.collectNotBeforeNanos;
    }

    /**
     * Keeps a copy of {@code original} while the task holds less than compression.dictionary.sample.bytes of samples
     * (all topics together); trains once the topic has enough samples, or the budget is spent and it has the fewest
     * zstd trains on.
     */
    private void sample(TopicDictionary state, byte[] original) {
        if (!state.drift && state.active != null) {
            sampleBytesHeld.addAndGet(-state.sampleBytes);
            state.samples = null; // the look-up found one after all
            return;
        }
        boolean budgetSpent = sampleBytesHeld.get() + original.length > settings.sampleBytes();
        if (!budgetSpent) {
            state.samples.add(original.clone());
            state.sampleBytes += original.length;
            sampleBytesHeld.addAndGet(original.length);
        }
        if (state.samples.size() >= settings.samples()
                || (budgetSpent && state.samples.size() >= DictionaryTrainer.MIN_SAMPLES)) {
            List<byte[]> samples = state.samples;
            long bytes = state.sampleBytes;
            boolean drift = state.drift;
            state.samples = null;
            submit(state, () -> {
                try {
                    train(state, samples, drift);
                } finally {
                    sampleBytesHeld.addAndGet(-bytes);
                }
            });
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
        if (drifted && due && state.jobs.get() == 0 && state.samples == null) {
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
                    use(dictionary);
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
        }
    }

    /** The dictionary in {@code bytes} if it is one zstd can use (digested now, not at the first value) and has id {@code id}. */
    private ZstdDictionary verified(byte[] bytes, long id) {
        try {
            ZstdDictionary dictionary = ZstdDictionary.of(bytes);
            if (dictionary.id() != id) {
                return null;
            }
            dictionary.check(encoder.level());
            return dictionary;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void train(TopicDictionary state, List<byte[]> samples, boolean drift) {
        if (!drift && state.active != null) {
            return; // the look-up found the dictionary used before, while these samples were taken
        }
        long start = nanoClock.getAsLong();
        state.lastTrainingNanos = start;
        DictionaryTrainer.HeldOut trained;
        try {
            trained = DictionaryTrainer.trainHoldingOut(samples, settings.dictionaryBytes());
        } catch (IllegalArgumentException e) {
            log.warn("Topic '{}': {}. Values stay without a new dictionary; sampling again in {} ms.", state.topic,
                    e.getMessage(), settings.retrainMinInterval().toMillis());
            state.collectNotBeforeNanos = nanoClock.getAsLong() + settings.retrainMinInterval().toNanos();
            return;
        }
        ZstdDictionary dictionary = trained.dictionary();
        trainings.incrementAndGet();
        long millis = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - start);
        lastTrainingMillis = millis;
        double ratio = trained.ratio(encoder, dictionary);
        ZstdDictionary current = state.active;
        if (drift && current != null) {
            double currentRatio = trained.ratio(encoder, current);
            if (ratio > currentRatio * (1 - MIN_IMPROVEMENT)) {
                log.info("Topic '{}': a dictionary trained on recent values compresses them to {}, the current one {} to {}; "
                        + "keeping {}", state.topic, percent(ratio), current.id(), percent(currentRatio), current.id());
                state.ratioAtTraining = currentRatio;
                return;
            }
        }
        log.info("Topic '{}': trained dictionary {} ({} bytes) on {} values in {} ms; held-out values compress to {}",
                state.topic, dictionary.id(), dictionary.size(), trained.trainingSamples(), millis, percent(ratio));
        storeAndPublish(state, dictionary, ratio, drift, settings.storeRetry());
    }

    /**
     * Stores {@code dictionary} and, once Redis acknowledged it, hands it to the task thread; on a failure tries again
     * after {@code retryIn}, doubling. The topic's job stays pending until it is stored or given up.
     */
    private void storeAndPublish(TopicDictionary state, ZstdDictionary dictionary, double ratio, boolean drift,
                                 Duration retryIn) {
        state.retryScheduled = false;
        if (closed) {
            return;
        }
        DictionaryStore.StoreResult result;
        try {
            result = store().store(dictionary);
        } catch (DictionaryStoreException | RuntimeException e) {
            if (closed) {
                return; // interrupted by close()
            }
            storeFailures.incrementAndGet();
            if (!state.storeFailing) {
                log.warn("Topic '{}': could not store dictionary {} in Redis: {}. Values are written without it; trying "
                        + "again in {} ms.", state.topic, dictionary.id(), e.getMessage(), retryIn.toMillis());
            } else {
                log.debug("Topic '{}': storing dictionary {} failed again: {}", state.topic, dictionary.id(), e.getMessage());
            }
            state.storeFailing = true;
            Duration next = retryIn.multipliedBy(2).compareTo(MAX_STORE_RETRY) > 0 ? MAX_STORE_RETRY : retryIn.multipliedBy(2);
            state.retryScheduled = true;
            schedule(state, () -> storeAndPublish(state, dictionary, ratio, drift, next), retryIn);
            return;
        }
        if (result == DictionaryStore.StoreResult.ID_TAKEN) {
            log.warn("Topic '{}': {} holds another dictionary with the same id; not using dictionary {}. Sampling again "
                    + "in {} ms.", state.topic, store().key(dictionary.id()), dictionary.id(), settings.retrainMinInterval().toMillis());
            state.collectNotBeforeNanos = nanoClock.getAsLong() + settings.retrainMinInterval().toNanos();
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
        use(dictionary);
        state.active = dictionary;
        if (drift) {
            retrains.incrementAndGet();
        }
        log.info("Topic '{}': compressing with dictionary {} from now on ({})", state.topic, dictionary.id(),
                store().key(dictionary.id()));
        try {
            store().setActive(state.topic, dictionary.id());
        } catch (DictionaryStoreException | RuntimeException e) {
            log.warn("Topic '{}': could not record dictionary {} as this connector's for the topic: {}. A restarted task "
                    + "will train a new one.", state.topic, dictionary.id(), e.getMessage());
        }
    }

    /** Remembers a dictionary values now name, for the periodic check. */
    private void use(ZstdDictionary dictionary) {
        used.remove(dictionary);
        used.addLast(dictionary);
        while (used.size() > MAX_CHECKED_DICTIONARIES) {
            used.removeFirst();
        }
    }

    /**
     * Every dictionary this task has compressed with must still be stored, byte for byte: values name them. One that
     * has disappeared (evicted under an allkeys-* policy, deleted) is stored again; until that succeeds, the topics
     * using it are written without a dictionary, so no new value names it.
     */
    private void checkStillStored() {
        for (ZstdDictionary dictionary : List.copyOf(used)) {
            if (closed) {
                return;
            }
            boolean intact;
            try {
                intact = java.util.Arrays.equals(store().load(dictionary.id()), dictionary.bytes());
            } catch (DictionaryStoreException | RuntimeException e) {
                log.debug("Could not check dictionary {}: {}", dictionary.id(), e.getMessage());
                continue; // Redis unreachable: values are not being written either
            }
            if (intact) {
                continue;
            }
            List<TopicDictionary> usingIt = allTopics.values().stream()
                    .filter(t -> t.active == dictionary || t.held == dictionary).toList();
            usingIt.forEach(t -> {
                t.held = dictionary;
                t.active = null;
            });
            log.warn("Dictionary {} is gone from Redis or holds other bytes (evicted? check maxmemory-policy): values naming "
                    + "it cannot be read until it is back. Storing it again; topics {} are written without a dictionary "
                    + "meanwhile.", store().key(dictionary.id()), usingIt.stream().map(t -> t.topic).toList());
            try {
                DictionaryStore.StoreResult result = store().store(dictionary);
                if (result == DictionaryStore.StoreResult.ID_TAKEN) {
                    storeFailures.incrementAndGet();
                    log.error("Dictionary {}: another dictionary now holds its key; the values that name it cannot be read "
                            + "(a second dictionary with the same id was stored after this one disappeared). Topics {} will "
                            + "train a new one.", store().key(dictionary.id()), usingIt.stream().map(t -> t.topic).toList());
                    used.remove(dictionary);
                    usingIt.forEach(t -> t.held = null);
                    continue;
                }
                restored.incrementAndGet();
                usingIt.forEach(t -> {
                    t.active = dictionary;
                    t.held = null;
                });
                log.info("Dictionary {} is stored again", store().key(dictionary.id()));
            } catch (DictionaryStoreException | RuntimeException e) {
                storeFailures.incrementAndGet();
                log.warn("Could not store dictionary {} again: {}. Trying at the next check, in {} s.",
                        store().key(dictionary.id()), e.getMessage(), EXISTENCE_CHECK_INTERVAL.toSeconds());
            }
        }
    }

    private DictionaryStore store() {
        if (!evictionWarningChecked) {
            evictionWarningChecked = true;
            try {
                store.evictionRisk().ifPresent(log::warn);
            } catch (RuntimeException e) {
                log.debug("Could not read the eviction policy", e);
            }
        }
        return store;
    }

    /** Runs a new job for {@code state}'s topic on the background thread: it counts as pending until it is done. */
    private void submit(TopicDictionary state, Runnable job) {
        state.jobs.incrementAndGet();
        schedule(state, job, Duration.ZERO);
    }

    /**
     * Runs {@code job} for {@code state}'s topic on the background thread, as part of a job already counted: the count
     * goes down once it has run, unless it scheduled a retry of its store, and whatever it throws is logged with the
     * topic.
     */
    private void schedule(TopicDictionary state, Runnable job, Duration delay) {
        if (closed) {
            return;
        }
        try {
            background.schedule(() -> {
                try {
                    if (!closed) {
                        job.run();
                    }
                } catch (RuntimeException e) {
                    state.retryScheduled = false;
                    log.error("Topic '{}': the dictionary job failed; values are written without a new dictionary, and it "
                            + "is sampled again in {} ms", state.topic, settings.retrainMinInterval().toMillis(), e);
                    state.collectNotBeforeNanos = nanoClock.getAsLong() + settings.retrainMinInterval().toNanos();
                } finally {
                    if (!state.retryScheduled) {
                        state.jobs.decrementAndGet();
                    }
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
                lastTrainingMillis, active, restored.get());
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
        store.close();
    }

    /** One topic's dictionary: {@code active} and the ratio are handed over between the threads, the rest belongs to one. */
    private static final class TopicDictionary {
        final String topic;
        volatile ZstdDictionary active;
        /** The dictionary taken from the topic while it is missing from Redis, given back once stored again. */
        volatile ZstdDictionary held;
        volatile double ratioAtTraining = Double.NaN;
        volatile long lastTrainingNanos;
        /** Look-ups, trainings and stores queued, running or waiting to be retried: counted up by the task thread, down by the background one. */
        final java.util.concurrent.atomic.AtomicInteger jobs = new java.util.concurrent.atomic.AtomicInteger();
        volatile long collectNotBeforeNanos = Long.MIN_VALUE;
        /** Background thread only. */
        boolean storeFailing;
        /** Background thread only: the job just run scheduled a retry of its store, so the topic's job is still pending. */
        boolean retryScheduled;
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
