package io.redcompress.connect.tools;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.redis.RedisKeyspace;

/**
 * Statistics over sampled values: how many of each codec (with "foreign" for values not in our format and
 * "undecodable" for ours that fail to decode), original and stored bytes of the decodable ones, MEMORY USAGE, the
 * dictionaries values name, and the errors by kind. Not thread-safe; one per run.
 */
public final class KeyspaceStats {

    private final Map<String, Long> valuesPerCodec = new TreeMap<>();
    private final Map<Long, Long> valuesPerDictionary = new TreeMap<>();
    private final Map<String, Long> undecodableByKind = new TreeMap<>();
    private long values;
    private long notStrings;
    private long decoded;
    private long foreign;
    private long undecodable;
    private long originalBytes;
    private long storedBytes;
    private long memoryUsageTotal;
    private long memoryUsageKeys;

    /**
     * Samples up to {@code limit} keys matching {@code pattern} (SCAN MATCH) and counts what they hold, leaving out the
     * keys under {@code excludedPrefix} (the connector's dictionaries and their bookkeeping).
     */
    public static KeyspaceStats sample(RedisKeyspace keyspace, String pattern, int limit, String excludedPrefix,
                                       ValueDecoder decoder) {
        byte[] excluded = excludedPrefix.getBytes(StandardCharsets.UTF_8);
        List<byte[]> keys = keyspace.scan(pattern, limit).stream().filter(key -> !startsWith(key, excluded)).toList();
        KeyspaceStats stats = new KeyspaceStats();
        for (RedisKeyspace.Entry entry : keyspace.read(keys)) {
            if (entry.value() != null) {
                stats.add(ValueReport.of(entry.value(), decoder), entry.memoryUsage());
            } else if (entry.exists()) {
                stats.addNotString(entry.memoryUsage());
            }
        }
        return stats;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Counts a key that holds something other than a string (a hash, a list ...): it has no value to decode. */
    public void addNotString(long memoryUsage) {
        notStrings++;
        addMemoryUsage(memoryUsage);
    }

    /** Counts one string value and its MEMORY USAGE (-1 when unknown). */
    public void add(ValueReport report, long memoryUsage) {
        values++;
        addMemoryUsage(memoryUsage);
        switch (report.outcome()) {
            case FOREIGN -> {
                foreign++;
                valuesPerCodec.merge("foreign", 1L, Long::sum);
            }
            case UNDECODABLE -> {
                undecodable++;
                undecodableByKind.merge(report.errorKind(), 1L, Long::sum);
                valuesPerCodec.merge("undecodable", 1L, Long::sum);
            }
            case DECODED -> {
                decoded++;
                originalBytes += report.header().originalLength();
                storedBytes += report.storedLength();
                valuesPerCodec.merge(report.codecName(), 1L, Long::sum);
            }
        }
        if (report.header() != null && report.header().usesDictionary()) {
            valuesPerDictionary.merge(report.header().dictionaryId(), 1L, Long::sum);
        }
    }

    private void addMemoryUsage(long memoryUsage) {
        if (memoryUsage >= 0) {
            memoryUsageTotal += memoryUsage;
            memoryUsageKeys++;
        }
    }

    /** String values counted. */
    public long values() {
        return values;
    }

    /** Keys counted that hold no string. */
    public long notStrings() {
        return notStrings;
    }

    public long decoded() {
        return decoded;
    }

    public long foreign() {
        return foreign;
    }

    public long undecodable() {
        return undecodable;
    }

    /** Values per codec name ({@code none}, {@code lz4}, {@code zstd+dictionary} ..., {@code foreign}, {@code undecodable}). */
    public Map<String, Long> valuesPerCodec() {
        return Map.copyOf(valuesPerCodec);
    }

    /** The share of the string values that {@code count} is, 0 without values. */
    public double share(long count) {
        return values == 0 ? 0 : (double) count / values;
    }

    /** Values naming each dictionary id (decodable or not: an unknown dictionary is counted too). */
    public Map<Long, Long> valuesPerDictionary() {
        return valuesPerDictionary;
    }

    /** Undecodable values per error kind ({@link ValueReport#errorKind}). */
    public Map<String, Long> undecodableByKind() {
        return undecodableByKind;
    }

    /** Original bytes of the decoded values. */
    public long originalBytes() {
        return originalBytes;
    }

    /** Stored bytes of the decoded values (header included). */
    public long storedBytes() {
        return storedBytes;
    }

    /** Stored over original bytes of the decoded values; NaN without any. */
    public double ratio() {
        return originalBytes == 0 ? Double.NaN : (double) storedBytes / originalBytes;
    }

    /** Original minus stored bytes of the decoded values (negative when headers outweigh the savings). */
    public long bytesSaved() {
        return originalBytes - storedBytes;
    }

    /** Average MEMORY USAGE over the keys it was known for; NaN without any. */
    public double averageMemoryUsage() {
        return memoryUsageKeys == 0 ? Double.NaN : (double) memoryUsageTotal / memoryUsageKeys;
    }

    /** Keys whose MEMORY USAGE was counted. */
    public long memoryUsageKeys() {
        return memoryUsageKeys;
    }
}
