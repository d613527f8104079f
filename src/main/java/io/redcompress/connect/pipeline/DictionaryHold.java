package io.redcompress.connect.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.ValueDictionaries;
import io.redcompress.connect.mapping.ValueDictionaries.Readiness;

/**
 * Holds the records of a topic until the topic has its zstd dictionary (redis.layout=buckets with
 * compression.dictionary=auto): a value compressed without one is too long for a listpack, and one such value turns
 * its bucket into a hash table for good.
 * <ul>
 *   <li>A held record is neither written nor acknowledged: the task has registered it with the {@link OffsetTracker}
 *       before asking, so no commit passes it. Its serialised value is offered to the dictionaries as a sample, so
 *       the held records themselves train the dictionary.</li>
 *   <li>While the dictionary is sampled, the topic's partitions flow; once it has its samples (it is being trained or
 *       stored), each partition that holds records is paused ({@link PartitionPauses.Reason#DICTIONARY}).</li>
 *   <li>{@link #release()}, first in each put(), hands back the held records of every topic whose dictionary is
 *       active, to be written with it, in offset order per partition, and resumes their partitions. It also hands back,
 *       to be written without a dictionary and with one WARN per topic, those of a topic held longer than
 *       compression.dictionary.hold.max.ms, with a partition holding more than max.in.flight.records.per.partition
 *       records, or for which no dictionary is coming; and, largest first, those of the topics that make the task hold
 *       more than max.in.flight.bytes.</li>
 *   <li>A topic released is not held again by this task. While anything is held, Connect is asked to call put()
 *       again within {@value #RECHECK_MILLIS} ms, so the records are released without waiting for new ones.</li>
 *   <li>{@link #forget} drops the held records of revoked partitions without writing them: never acknowledged, they
 *       are delivered again from the last commit to the partition's next owner.</li>
 * </ul>
 * Used from the task thread only; the counts are read by metrics from any thread.
 */
public final class DictionaryHold {

    private static final Logger log = LoggerFactory.getLogger(DictionaryHold.class);

    static final long RECHECK_MILLIS = 10;
    /** Heap of a held record besides its value, as {@code max.in.flight.bytes} estimates it for a record in flight. */
    static final long RECORD_OVERHEAD_BYTES = 256;

    private record Held(SinkRecord record, long offset, long bytes) {
    }

    private static final class TopicHold {
        final String topic;
        final long sinceNanos;
        final Map<TopicPartition, ArrayDeque<Held>> partitions = new LinkedHashMap<>();
        int records;
        long bytes;

        TopicHold(String topic, long sinceNanos) {
            this.topic = topic;
            this.sinceNanos = sinceNanos;
        }
    }

    private final ValueDictionaries dictionaries;
    private final Function<SinkRecord, byte[]> serializedValues;
    private final long maxHoldNanos;
    private final int maxRecordsPerPartition;
    private final long maxBytes;
    private final PartitionPauses pauses;
    private final LongSupplier nanoClock;
    private final Map<String, TopicHold> holding = new LinkedHashMap<>();
    /**
     * The hold each source partition's held records are in. A partition is held as a whole: once a record of it is
     * held, its later records are held behind it in the same hold, whatever topic an SMT routed them to (a
     * TimestampRouter feeds a new topic while the old one still gets late records), so that none is written before an
     * earlier one of its partition, and nothing of the partition is sent while it holds records.
     */
    private final Map<TopicPartition, TopicHold> partitionHolds = new HashMap<>();
    /** Topics released: never held again. */
    private final Set<String> passing = new HashSet<>();
    private long heldBytes;
    private volatile int heldRecords;
    private volatile long releasedWithoutDictionary;

    /**
     * @param serializedValues the bytes a record's value is compressed from (null: nothing to sample)
     * @param maxHold          compression.dictionary.hold.max.ms; zero holds nothing
     */
    public DictionaryHold(ValueDictionaries dictionaries, Function<SinkRecord, byte[]> serializedValues, Duration maxHold,
                          int maxRecordsPerPartition, long maxBytes, PartitionPauses pauses, LongSupplier nanoClock) {
        this.dictionaries = dictionaries;
        this.serializedValues = serializedValues;
        this.maxHoldNanos = maxHold.toNanos();
        this.maxRecordsPerPartition = maxRecordsPerPartition;
        this.maxBytes = maxBytes;
        this.pauses = pauses;
        this.nanoClock = nanoClock;
    }

    /** Holds nothing: for a layout or dictionary mode where values written without a dictionary do no lasting harm. */
    public static DictionaryHold none() {
        return new DictionaryHold(ValueDictionaries.NONE, record -> null, Duration.ZERO, 0, 0, null, () -> 0);
    }

    /**
     * Called for each record put() is about to write, in order, after registering it: true when the record is held
     * (its topic has no dictionary yet, or earlier records of its topic are held), false when it is to be written now.
     * A record delivered again while it is held is held once.
     */
    public boolean holds(SinkRecord record, RecordId id) {
        if (maxHoldNanos == 0) {
            return false;
        }
        TopicPartition source = id.topicPartition();
        String topic = record.topic();
        TopicHold hold = partitionHolds.get(source);
        if (hold != null) {
            ArrayDeque<Held> partition = hold.partitions.get(source);
            if (id.offset() < partition.peekFirst().offset()) {
                // rewound below what it holds (a retry of a record sent before the hold): those are delivered again
                drop(hold, source);
                hold = null;
            } else if (id.offset() <= partition.peekLast().offset()) {
                return true; // delivered again while it is held: it is held already
            } else {
                byte[] value = serializedValues.apply(record);
                add(hold, partition, record, id, value, dictionaries.held(topic, value));
                return true;
            }
        }
        if (passing.contains(topic)) {
            return false;
        }
        byte[] value = serializedValues.apply(record);
        Readiness readiness = dictionaries.held(topic, value);
        hold = holding.get(topic);
        if (hold == null) {
            if (readiness == Readiness.ACTIVE || readiness == Readiness.NONE) {
                passing.add(topic);
                return false;
            }
            hold = new TopicHold(topic, nanoClock.getAsLong());
            holding.put(topic, hold);
            log.info("Topic '{}': holding its records until its dictionary is trained and stored (at most {} ms, {}), so "
                    + "that no value written without it turns its bucket into a hash table", topic,
                    TimeUnit.NANOSECONDS.toMillis(maxHoldNanos), RedisSinkConfig.COMPRESSION_DICTIONARY_HOLD_MAX_MS);
        }
        ArrayDeque<Held> partition = new ArrayDeque<>();
        hold.partitions.put(source, partition);
        partitionHolds.put(source, hold);
        add(hold, partition, record, id, value, readiness);
        return true;
    }

    private void add(TopicHold hold, ArrayDeque<Held> partition, SinkRecord record, RecordId id, byte[] value,
                     Readiness readiness) {
        long bytes = (value == null ? 0 : value.length) + RECORD_OVERHEAD_BYTES;
        partition.addLast(new Held(record, id.offset(), bytes));
        hold.records++;
        hold.bytes += bytes;
        heldBytes += bytes;
        heldRecords++;
        if (readiness == Readiness.PREPARING || partition.size() > maxRecordsPerPartition || heldBytes > maxBytes) {
            // more records of it would not help the dictionary, or would only be written without it at the next put()
            pauses.pause(id.topicPartition(), PartitionPauses.Reason.DICTIONARY);
        }
        pauses.wakeUpWithin(RECHECK_MILLIS);
    }

    /**
     * Called first in each put(): the held records to write now, in offset order per partition, and their partitions
     * resumed; the rest stay held, their partitions paused while their dictionary is trained or stored.
     */
    public List<SinkRecord> release() {
        if (holding.isEmpty()) {
            return List.of();
        }
        long now = nanoClock.getAsLong();
        List<SinkRecord> released = new ArrayList<>();
        Iterator<TopicHold> topics = holding.values().iterator();
        while (topics.hasNext()) {
            TopicHold hold = topics.next();
            Readiness readiness = dictionaries.readiness(hold.topic);
            long heldMillis = TimeUnit.NANOSECONDS.toMillis(now - hold.sinceNanos);
            Map.Entry<TopicPartition, ArrayDeque<Held>> fullest = hold.partitions.entrySet().stream()
                    .max(Comparator.comparingInt(e -> e.getValue().size())).orElseThrow();
            if (readiness == Readiness.ACTIVE) {
                log.info("Topic '{}': its dictionary is ready after {} ms; writing the {} records held for it with it",
                        hold.topic, heldMillis, hold.records);
            } else if (readiness == Readiness.NONE) {
                warnWithoutDictionary(hold, "no dictionary is coming soon",
                        "The dictionary's own WARN above says why none was trained or stored.");
            } else if (now - hold.sinceNanos >= maxHoldNanos) {
                warnWithoutDictionary(hold, "it has no dictionary yet after " + heldMillis + " ms ("
                        + (readiness == Readiness.SAMPLING ? "still sampling its values" : "being trained or stored") + ")",
                        "Raise " + RedisSinkConfig.COMPRESSION_DICTIONARY_HOLD_MAX_MS + " (" + TimeUnit.NANOSECONDS.toMillis(maxHoldNanos)
                                + " now) if sampling, training and storing take longer here.");
            } else if (fullest.getValue().size() > maxRecordsPerPartition) {
                warnWithoutDictionary(hold, "partition " + fullest.getKey() + " holds " + fullest.getValue().size()
                        + " records, over " + RedisSinkConfig.MAX_IN_FLIGHT_RECORDS + "=" + maxRecordsPerPartition,
                        "Raise " + RedisSinkConfig.MAX_IN_FLIGHT_RECORDS + ", or lower "
                                + RedisSinkConfig.COMPRESSION_DICTIONARY_SAMPLES + " so that a partition's share of the samples fits.");
            } else {
                keepHolding(hold, readiness);
                continue;
            }
            topics.remove();
            drain(hold, released);
        }
        while (heldBytes > maxBytes && !holding.isEmpty()) {
            TopicHold largest = holding.values().stream().max(Comparator.comparingLong(h -> h.bytes)).orElseThrow();
            warnWithoutDictionary(largest, "the task holds about " + heldBytes + " bytes of records waiting for "
                    + "dictionaries, over " + RedisSinkConfig.MAX_IN_FLIGHT_BYTES + "=" + maxBytes + ", the most of them this topic's",
                    "Raise " + RedisSinkConfig.MAX_IN_FLIGHT_BYTES + ", or lower " + RedisSinkConfig.COMPRESSION_DICTIONARY_SAMPLES + ".");
            holding.remove(largest.topic);
            drain(largest, released);
        }
        if (!holding.isEmpty()) {
            pauses.wakeUpWithin(RECHECK_MILLIS);
        }
        return released;
    }

    /** Sampled, the topic's partitions flow again; trained or stored, they stay paused (more records would not help). */
    private void keepHolding(TopicHold hold, Readiness readiness) {
        for (TopicPartition partition : hold.partitions.keySet()) {
            if (readiness == Readiness.SAMPLING) {
                pauses.release(partition, PartitionPauses.Reason.DICTIONARY);
            } else {
                pauses.pause(partition, PartitionPauses.Reason.DICTIONARY);
            }
        }
    }

    private void warnWithoutDictionary(TopicHold hold, String why, String advice) {
        log.warn("Topic '{}': {}; writing the {} records held for it without a dictionary, and its next ones until it has "
                + "one (it is not held again): values too long for a listpack turn their buckets into hash tables for good. {}", hold.topic, why,
                hold.records, advice);
        releasedWithoutDictionary += hold.records;
    }

    private void drain(TopicHold hold, List<SinkRecord> released) {
        passing.add(hold.topic);
        hold.partitions.forEach((partition, records) -> {
            records.forEach(held -> released.add(held.record()));
            partitionHolds.remove(partition);
            pauses.release(partition, PartitionPauses.Reason.DICTIONARY);
        });
        heldBytes -= hold.bytes;
        heldRecords -= hold.records;
    }

    /** Partitions this task no longer owns: their held records are dropped unwritten, and Connect delivers them again. */
    public void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            TopicHold hold = partitionHolds.get(partition);
            if (hold != null) {
                drop(hold, partition);
            }
        }
    }

    /**
     * Partitions rewound for a retry of a record sent before their hold began: what they hold comes after it, and is
     * delivered again after it, so it is dropped (and held again then, if its dictionary is still not there). Their
     * dictionary pause ends: the retry's backoff pauses them now.
     */
    public void rewound(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            TopicHold hold = partitionHolds.get(partition);
            if (hold != null) {
                drop(hold, partition);
                pauses.release(partition, PartitionPauses.Reason.DICTIONARY);
            }
        }
    }

    /**
     * Drops a partition's held records unwritten (never acknowledged, Connect delivers them again); a hold left with
     * no partition is ended, to start afresh, with a new deadline, if its topic's records come before its dictionary.
     */
    private void drop(TopicHold hold, TopicPartition partition) {
        partitionHolds.remove(partition);
        ArrayDeque<Held> dropped = hold.partitions.remove(partition);
        long bytes = dropped.stream().mapToLong(Held::bytes).sum();
        hold.records -= dropped.size();
        hold.bytes -= bytes;
        heldRecords -= dropped.size();
        heldBytes -= bytes;
        if (hold.partitions.isEmpty()) {
            holding.remove(hold.topic);
        }
    }

    /** Records held now, all topics. */
    public int heldRecords() {
        return heldRecords;
    }

    /** Held records written without a dictionary because their hold ran out. */
    public long releasedWithoutDictionary() {
        return releasedWithoutDictionary;
    }
}
