package io.redcompress.connect.tools;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.redis.RedisKeyspace;

/**
 * Statistics over the buckets of redis.layout=buckets: how many buckets and entries, entries per bucket, the share of
 * buckets Redis keeps listpack-encoded (the point of the layout), MEMORY USAGE per entry, and the value report
 * ({@link KeyspaceStats}) over sampled entries. Not thread-safe; one per run.
 */
public final class BucketStats {

    private long buckets;
    private long entries;
    private long maxEntries;
    private long listpacks;
    private long memoryUsage;
    private long memoryUsageEntries;
    private final KeyspaceStats values = new KeyspaceStats();

    /**
     * Reads every bucket under {@code prefix} (keys that are the prefix followed by digits), and the values of up to
     * {@code sample} entries whose fields match {@code fieldPattern} (HSCAN MATCH).
     */
    public static BucketStats sample(RedisKeyspace keyspace, String prefix, String fieldPattern, int sample,
                                     ValueDecoder decoder) {
        String glob = BucketLayout.of(prefix, 1).keyGlob(); // the glob depends on the prefix alone
        List<byte[]> bucketKeys = new ArrayList<>();
        for (byte[] key : keyspace.scan(glob, Integer.MAX_VALUE)) {
            if (isBucketKey(key, prefix)) {
                bucketKeys.add(key);
            }
        }
        BucketStats stats = new BucketStats();
        for (RedisKeyspace.Hash bucket : keyspace.readHashes(bucketKeys)) {
            stats.add(bucket);
            int room = (int) Math.min(Integer.MAX_VALUE, sample - stats.values.values());
            if (room > 0 && bucket.entries() > 0) {
                for (Map.Entry<byte[], byte[]> entry : keyspace.hashEntries(bucket.key(), fieldPattern, room)) {
                    stats.values.add(ValueReport.of(entry.getValue(), decoder), -1);
                }
            }
        }
        return stats;
    }

    /** Whether {@code key} is the prefix followed by a bucket number (decimal digits), as the layout writes them. */
    static boolean isBucketKey(byte[] key, String prefix) {
        String text = new String(key, StandardCharsets.UTF_8);
        if (!text.startsWith(prefix) || text.length() == prefix.length()) {
            return false;
        }
        String number = text.substring(prefix.length());
        return number.chars().allMatch(c -> c >= '0' && c <= '9') && (number.length() == 1 || number.charAt(0) != '0');
    }

    private void add(RedisKeyspace.Hash bucket) {
        if (bucket.entries() < 0) {
            return; // not a hash: not a bucket the connector wrote
        }
        buckets++;
        entries += bucket.entries();
        maxEntries = Math.max(maxEntries, bucket.entries());
        if ("listpack".equals(bucket.encoding()) || "ziplist".equals(bucket.encoding())) {
            listpacks++;
        }
        if (bucket.memoryUsage() >= 0) {
            memoryUsage += bucket.memoryUsage();
            memoryUsageEntries += bucket.entries();
        }
    }

    public long buckets() {
        return buckets;
    }

    public long entries() {
        return entries;
    }

    /** Entries per bucket; NaN without buckets. */
    public double meanEntries() {
        return buckets == 0 ? Double.NaN : (double) entries / buckets;
    }

    public long maxEntries() {
        return maxEntries;
    }

    /** The share of buckets that are listpack-encoded (ziplist before Redis 7); NaN without buckets. */
    public double listpackShare() {
        return buckets == 0 ? Double.NaN : (double) listpacks / buckets;
    }

    public long listpacks() {
        return listpacks;
    }

    /** MEMORY USAGE of the buckets over their entries, where MEMORY USAGE was allowed; NaN without any. */
    public double memoryUsagePerEntry() {
        return memoryUsageEntries == 0 ? Double.NaN : (double) memoryUsage / memoryUsageEntries;
    }

    /** The value report over the sampled entries (its memory usage is not per entry: see {@link #memoryUsagePerEntry}). */
    public KeyspaceStats values() {
        return values;
    }
}
