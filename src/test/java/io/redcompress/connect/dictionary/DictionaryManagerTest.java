package io.redcompress.connect.dictionary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.mapping.ValueDictionaries;
import io.redcompress.connect.testing.SampleData;

class DictionaryManagerTest {

    private static final ValueEncoder ZSTD = ValueEncoder.builder().codec(Codec.ZSTD).build();
    private static final DictionaryManager.Settings SETTINGS = new DictionaryManager.Settings(4096, 200, 8 << 20, 0.25,
            Duration.ZERO, Duration.ofMillis(20));

    private final MemoryDictionaryStore store = new MemoryDictionaryStore();
    /** What decodes the values written: the store the manager under test stores in. */
    private MemoryDictionaryStore storeInUse = store;
    private DictionaryManager manager;
    private long sequence;
    private final Random random = new Random(3);

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    private DictionaryManager manager(MemoryDictionaryStore store) {
        storeInUse = store;
        manager = new DictionaryManager(SETTINGS, ZSTD, () -> store, System::nanoTime, "test-dictionaries");
        return manager;
    }

    /** Encodes one value of {@code kind} the way RecordMapper does, and returns what was stored. */
    private byte[] write(DictionaryManager m, String topic, String kind) {
        byte[] value = SampleData.ofKind(kind, sequence++, random);
        ZstdDictionary dictionary = m.forTopic(topic);
        byte[] stored = ZSTD.encode(value, dictionary);
        m.encoded(topic, value, stored.length, dictionary);
        assertThat(ValueDecoder.builder().dictionaries(storeInUse).build().decodeValue(stored)).isEqualTo(value);
        return stored;
    }

    private ZstdDictionary writeUntilADictionaryIsUsed(DictionaryManager m, String topic, String kind) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            write(m, topic, kind);
            return m.forTopic(topic) != null;
        });
        return m.forTopic(topic);
    }

    @Test
    void aTopicGetsADictionaryTrainedOnItsValuesOnceRedisHasStoredIt() {
        DictionaryManager m = manager(store);
        ZstdDictionary dictionary = writeUntilADictionaryIsUsed(m, "hb", "heartbeat");
        assertThat(store.dictionaries.get(dictionary.id())).isEqualTo(dictionary.bytes());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.pointers).containsEntry("hb", dictionary.id()));
        byte[] stored = write(m, "hb", "heartbeat");
        assertThat(ValueDecoder.header(stored).dictionaryId()).isEqualTo(dictionary.id());
        assertThat(m.stats()).satisfies(s -> {
            assertThat(s.stored()).isEqualTo(1);
            assertThat(s.storedBytes()).isEqualTo(dictionary.size());
            assertThat(s.trainings()).isEqualTo(1);
            assertThat(s.activeTopics()).isEqualTo(1);
        });
    }

    @Test
    void aRestartedTaskUsesTheDictionaryItUsedBeforeWithoutTraining() {
        ZstdDictionary first = writeUntilADictionaryIsUsed(manager(store), "hb", "heartbeat");
        manager.close();
        DictionaryManager restarted = manager(store);
        assertThat(writeUntilADictionaryIsUsed(restarted, "hb", "heartbeat")).isEqualTo(first);
        assertThat(restarted.stats().trainings()).isZero();
        assertThat(restarted.stats().stored()).isZero();
    }

    /** A store whose every store() (counted in {@code storing}) waits until {@code release} is counted down. */
    private static MemoryDictionaryStore storingOnceReleased(CountDownLatch release, AtomicInteger storing) {
        return new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
                storing.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new DictionaryStoreException("interrupted", false, e);
                }
                return super.store(dictionary);
            }
        };
    }

    @Test
    void noValueNamesADictionaryBeforeRedisAcknowledgedIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger storing = new AtomicInteger();
        DictionaryManager m = manager(storingOnceReleased(release, storing));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            write(m, "hb", "heartbeat");
            return storing.get() > 0;
        });
        for (int i = 0; i < 500; i++) {
            assertThat(ValueDecoder.header(write(m, "hb", "heartbeat")).usesDictionary()).isFalse();
        }
        release.countDown();
        writeUntilADictionaryIsUsed(m, "hb", "heartbeat");
    }

    @Test
    void whenRedisRefusesTheDictionaryValuesGoWithoutItAndStoringIsTriedAgain() {
        AtomicInteger refusals = new AtomicInteger(3);
        MemoryDictionaryStore refusing = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
                if (refusals.getAndDecrement() > 0) {
                    throw new DictionaryStoreException("NOPERM on " + key(dictionary.id()), true, null);
                }
                return super.store(dictionary);
            }
        };
        DictionaryManager m = manager(refusing);
        ZstdDictionary dictionary = writeUntilADictionaryIsUsed(m, "hb", "heartbeat");
        assertThat(m.stats().storeFailures()).isEqualTo(3);
        assertThat(m.stats().trainings()).isEqualTo(1);
        assertThat(dictionary).isNotNull();
    }

    @Test
    void anIdHeldByAnotherDictionaryIsNeverUsed() throws Exception {
        MemoryDictionaryStore taken = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) {
                return StoreResult.ID_TAKEN;
            }
        };
        DictionaryManager m = new DictionaryManager(new DictionaryManager.Settings(4096, 200, 8 << 20, 0.25,
                Duration.ofHours(1), Duration.ofMillis(20)), ZSTD, () -> taken, System::nanoTime, "test");
        manager = m;
        storeInUse = taken;
        for (int i = 0; i < 3_000; i++) {
            assertThat(ValueDecoder.header(write(m, "hb", "heartbeat")).usesDictionary()).isFalse();
            if (i % 500 == 0) {
                Thread.sleep(200);
            }
        }
        assertThat(m.stats().trainings()).isEqualTo(1);
    }

    @Test
    void valuesThatDriftAwayFromTheDictionaryGetANewOneAndBothGenerationsStayReadable() {
        DictionaryManager m = manager(store);
        ZstdDictionary heartbeats = writeUntilADictionaryIsUsed(m, "t", "heartbeat");
        byte[] oldValue = write(m, "t", "heartbeat");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
            write(m, "t", "log");
            return m.forTopic("t") != heartbeats;
        });
        ZstdDictionary logs = m.forTopic("t");
        assertThat(logs.id()).isNotEqualTo(heartbeats.id());
        assertThat(m.stats().retrains()).isEqualTo(1);
        assertThat(store.dictionaries).containsKeys(heartbeats.id(), logs.id());
        // the pointer is written just after the hand-over
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.pointers).containsEntry("t", logs.id()));
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(store).build();
        assertThat(decoder.decodeValue(oldValue)).isNotEmpty();
        assertThat(ValueDecoder.header(write(m, "t", "log")).dictionaryId()).isEqualTo(logs.id());
    }

    @Test
    void aDictionaryThatDisappearsFromRedisIsStoredAgain() {
        manager = new DictionaryManager(SETTINGS, ZSTD, () -> store, System::nanoTime, "test", Duration.ofMillis(50));
        ZstdDictionary dictionary = writeUntilADictionaryIsUsed(manager, "hb", "heartbeat");
        store.dictionaries.remove(dictionary.id()); // evicted, or deleted by hand
        await().atMost(Duration.ofSeconds(10)).until(() -> store.dictionaries.containsKey(dictionary.id()));
        assertThat(store.dictionaries.get(dictionary.id())).isEqualTo(dictionary.bytes());
        assertThat(manager.stats().stored()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.stats().restored() >= 1);
        assertThat(manager.forTopic("hb")).isSameAs(dictionary);
    }

    @Test
    void whileADictionaryThatDisappearedCannotBeStoredAgainNoValueNamesIt() {
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
        MemoryDictionaryStore flaky = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
                if (refuse.get()) {
                    throw new DictionaryStoreException("OOM command not allowed", true, null);
                }
                return super.store(dictionary);
            }
        };
        storeInUse = flaky;
        manager = new DictionaryManager(SETTINGS, ZSTD, () -> flaky, System::nanoTime, "test", Duration.ofMillis(50));
        ZstdDictionary dictionary = writeUntilADictionaryIsUsed(manager, "hb", "heartbeat");
        refuse.set(true);
        flaky.dictionaries.remove(dictionary.id());
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.forTopic("hb") == null);
        for (int i = 0; i < 200; i++) {
            assertThat(ValueDecoder.header(write(manager, "hb", "heartbeat")).usesDictionary()).isFalse();
        }
        assertThat(manager.stats().storeFailures()).isPositive();
        refuse.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> manager.forTopic("hb") == dictionary);
        assertThat(manager.stats().restored()).isEqualTo(1);
    }

    @Test
    void aDictionaryReplacedAfterDriftIsStillCheckedAndStoredAgain() {
        manager = new DictionaryManager(SETTINGS, ZSTD, () -> store, System::nanoTime, "test", Duration.ofMillis(50));
        ZstdDictionary heartbeats = writeUntilADictionaryIsUsed(manager, "t", "heartbeat");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
            write(manager, "t", "log");
            return manager.forTopic("t") != heartbeats;
        });
        store.dictionaries.remove(heartbeats.id()); // values written before the switch still name it
        await().atMost(Duration.ofSeconds(10)).until(() -> store.dictionaries.containsKey(heartbeats.id()));
    }

    @Test
    void closingWhileAStoreIsHeldCountsNoFailureAndClosesTheStore() throws Exception {
        CountDownLatch storing = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closedStore = new java.util.concurrent.atomic.AtomicBoolean();
        MemoryDictionaryStore hanging = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
                storing.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    throw new DictionaryStoreException("interrupted", false, e);
                }
                return super.store(dictionary);
            }

            @Override
            public void close() {
                closedStore.set(true);
            }
        };
        DictionaryManager m = manager(hanging);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            write(m, "hb", "heartbeat");
            return storing.getCount() == 0;
        });
        m.close();
        assertThat(closedStore).isTrue();
        assertThat(m.stats().storeFailures()).isZero();
        assertThat(m.forTopic("hb")).isNull();
    }

    @Test
    void valuesThatPassWhileTheLookUpIsSlowAreSampledAndTrainedOn() {
        MemoryDictionaryStore slowLookUp = new MemoryDictionaryStore() {
            @Override
            public OptionalLong activeId(String topic) {
                try {
                    Thread.sleep(1_000); // a cluster client connecting for the first time, under load
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.activeId(topic);
            }
        };
        DictionaryManager m = manager(slowLookUp);
        for (int i = 0; i < 250; i++) { // all of them before the look-up answers, and then no more
            write(m, "hb", "heartbeat");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> m.forTopic("hb") != null);
        assertThat(m.stats().trainings()).isEqualTo(1);
    }

    @Test
    void aDamagedDictionaryFoundThroughThePointerIsNotUsedAndANewOneIsTrained() {
        ZstdDictionary first = writeUntilADictionaryIsUsed(manager(store), "hb", "heartbeat");
        manager.close();
        byte[] damaged = first.bytes();
        java.util.Arrays.fill(damaged, 8, 200, (byte) 0xFF); // same id, entropy tables zstd cannot read
        store.dictionaries.put(first.id(), damaged);
        DictionaryManager restarted = manager(store);
        ZstdDictionary second = writeUntilADictionaryIsUsed(restarted, "hb", "heartbeat");
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(restarted.stats().trainings()).isEqualTo(1);
        assertThat(restarted.stats().stored()).as("a new dictionary, not an existing one stored again").isEqualTo(1);
    }

    @Test
    void stableValuesAreNotRetrained() {
        DictionaryManager m = manager(store);
        writeUntilADictionaryIsUsed(m, "hb", "heartbeat");
        for (int i = 0; i < 5_000; i++) {
            write(m, "hb", "heartbeat");
        }
        assertThat(m.stats().trainings()).isEqualTo(1);
        assertThat(m.stats().retrains()).isZero();
    }

    @Test
    void eachTopicHasItsOwnDictionary() {
        DictionaryManager m = manager(store);
        ZstdDictionary heartbeats = writeUntilADictionaryIsUsed(m, "hb", "heartbeat");
        ZstdDictionary logs = writeUntilADictionaryIsUsed(m, "logs", "log");
        assertThat(heartbeats.id()).isNotEqualTo(logs.id());
        assertThat(m.forTopic("hb")).isSameAs(heartbeats);
    }

    /** Offers held heartbeats (never encoded) until the topic is {@code until}, and returns the readiness seen. */
    private java.util.List<ValueDictionaries.Readiness> holdUntil(DictionaryManager m, String topic,
                                                                  ValueDictionaries.Readiness until) {
        java.util.List<ValueDictionaries.Readiness> seen = new java.util.ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            ValueDictionaries.Readiness readiness = m.held(topic, SampleData.ofKind("heartbeat", sequence++, random));
            if (seen.isEmpty() || seen.get(seen.size() - 1) != readiness) {
                seen.add(readiness);
            }
            return readiness == until;
        });
        return seen;
    }

    @Test
    void heldValuesThatAreNeverEncodedTrainTheTopicsDictionary() {
        DictionaryManager m = manager(store);
        assertThat(holdUntil(m, "hb", ValueDictionaries.Readiness.ACTIVE)).as("sampled, then trained and stored")
                .startsWith(ValueDictionaries.Readiness.SAMPLING).endsWith(ValueDictionaries.Readiness.ACTIVE)
                .doesNotContain(ValueDictionaries.Readiness.NONE);
        assertThat(m.readiness("hb")).isEqualTo(ValueDictionaries.Readiness.ACTIVE);
        assertThat(m.stats().trainings()).isEqualTo(1);
        assertThat(store.dictionaries).containsKey(m.forTopic("hb").id());
    }

    @Test
    void aTopicWhoseSamplesAreTakenIsPreparingUntilItsDictionaryIsStored() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        DictionaryManager m = manager(storingOnceReleased(release, new AtomicInteger()));
        assertThat(m.readiness("hb")).as("a new topic: look-up and sampling start").isEqualTo(ValueDictionaries.Readiness.SAMPLING);
        for (int i = 0; i < SETTINGS.samples(); i++) {
            m.held("hb", SampleData.ofKind("heartbeat", sequence++, random));
        }
        assertThat(m.readiness("hb")).isEqualTo(ValueDictionaries.Readiness.PREPARING);
        assertThat(m.held("hb", SampleData.ofKind("heartbeat", sequence++, random))).isEqualTo(ValueDictionaries.Readiness.PREPARING);
        Thread.sleep(200);
        assertThat(m.readiness("hb")).as("still storing").isEqualTo(ValueDictionaries.Readiness.PREPARING);
        release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> m.readiness("hb") == ValueDictionaries.Readiness.ACTIVE);
    }

    @Test
    void aStoreThatKeepsFailingLeavesTheTopicPreparingAndADictionaryRefusedMeansNoneIsComing() {
        MemoryDictionaryStore failing = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
                throw new DictionaryStoreException("OOM command not allowed when used memory > 'maxmemory'", true, null);
            }
        };
        DictionaryManager m = manager(failing);
        holdUntil(m, "hb", ValueDictionaries.Readiness.PREPARING);
        await().atMost(Duration.ofSeconds(10)).until(() -> m.stats().storeFailures() >= 2);
        assertThat(m.readiness("hb")).as("waiting for the store's retry").isEqualTo(ValueDictionaries.Readiness.PREPARING);

        MemoryDictionaryStore taken = new MemoryDictionaryStore() {
            @Override
            public StoreResult store(ZstdDictionary dictionary) {
                return StoreResult.ID_TAKEN;
            }
        };
        m.close();
        manager = new DictionaryManager(new DictionaryManager.Settings(4096, 200, 8 << 20, 0.25, Duration.ofHours(1),
                Duration.ofMillis(20)), ZSTD, () -> taken, System::nanoTime, "test");
        storeInUse = taken;
        assertThat(holdUntil(manager, "hb", ValueDictionaries.Readiness.NONE)).as("refused, sampled again only in an hour")
                .endsWith(ValueDictionaries.Readiness.PREPARING, ValueDictionaries.Readiness.NONE);
    }
}
