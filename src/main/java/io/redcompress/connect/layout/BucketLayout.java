package io.redcompress.connect.layout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The bucketed layout: a record whose logical key is {@code k} (what key.template renders) lives in the hash
 * {@code <prefix><CRC-32(k) mod count>} under the field {@code k}. CRC-32 is the IEEE polynomial of zlib, gzip and PNG
 * ({@code zlib.crc32} in Python, {@code hash/crc32.ChecksumIEEE} in Go), taken as an unsigned 32-bit number; the bucket
 * number is written in decimal, without leading zeros. Immutable and thread-safe.
 */
public final class BucketLayout {

    /** The name of the bucket function in the layout marker. */
    public static final String HASH_NAME = "crc32-ieee";
    /** The name of the field rule in the layout marker: the field is the logical key itself. */
    public static final String FIELD_RULE = "logical-key";
    /** Redis's default {@code hash-max-listpack-entries}. */
    public static final int DEFAULT_LISTPACK_ENTRIES = 128;
    /** Redis's default {@code hash-max-listpack-value}. */
    public static final int DEFAULT_LISTPACK_VALUE = 64;
    /** The suffix of the marker key, after the prefix: bucket keys end in digits, so it cannot be a bucket. */
    public static final String MARKER_SUFFIX = "layout";

    private final byte[] prefix;
    private final int count;

    private BucketLayout(byte[] prefix, int count) {
        this.prefix = prefix;
        this.count = count;
    }

    /**
     * @param prefix the bucket keys' prefix, as UTF-8
     * @param count  the number of buckets, at least 1
     */
    public static BucketLayout of(String prefix, int count) {
        return of(prefix.getBytes(StandardCharsets.UTF_8), count);
    }

    public static BucketLayout of(byte[] prefix, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a bucket count must be at least 1, not " + count);
        }
        return new BucketLayout(prefix.clone(), count);
    }

    /** CRC-32 (IEEE) of the logical key, unsigned. */
    public static long hash(byte[] logicalKey) {
        CRC32 crc = new CRC32();
        crc.update(logicalKey, 0, logicalKey.length);
        return crc.getValue();
    }

    /** The bucket number of a logical key, in [0, count). */
    public int bucketOf(byte[] logicalKey) {
        return (int) (hash(logicalKey) % count);
    }

    /** The key of the hash that holds the logical key's entry. */
    public byte[] bucketKey(byte[] logicalKey) {
        return bucketKey(bucketOf(logicalKey));
    }

    /** The key of bucket number {@code bucket}: the prefix followed by the number in decimal. */
    public byte[] bucketKey(int bucket) {
        if (bucket < 0 || bucket >= count) {
            throw new IllegalArgumentException("bucket " + bucket + " is not in [0, " + count + ")");
        }
        byte[] digits = Integer.toString(bucket).getBytes(StandardCharsets.US_ASCII);
        byte[] key = Arrays.copyOf(prefix, prefix.length + digits.length);
        System.arraycopy(digits, 0, key, prefix.length, digits.length);
        return key;
    }

    /** The field of the entry: the logical key itself, so a bucket never holds two entries for one key. */
    public byte[] field(byte[] logicalKey) {
        return logicalKey;
    }

    /** Where the layout's parameters are kept: {@code <prefix>layout}. */
    public byte[] markerKey() {
        return markerKey(prefix);
    }

    public static byte[] markerKey(byte[] prefix) {
        byte[] suffix = MARKER_SUFFIX.getBytes(StandardCharsets.US_ASCII);
        byte[] key = Arrays.copyOf(prefix, prefix.length + suffix.length);
        System.arraycopy(suffix, 0, key, prefix.length, suffix.length);
        return key;
    }

    public byte[] prefix() {
        return prefix.clone();
    }

    public int count() {
        return count;
    }

    /** A glob that matches every bucket key (and the marker): the prefix, escaped, followed by {@code *}. */
    public String keyGlob() {
        StringBuilder glob = new StringBuilder();
        for (char c : new String(prefix, StandardCharsets.UTF_8).toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                glob.append('\\');
            }
            glob.append(c);
        }
        return glob.append('*').toString();
    }

    /**
     * The mean number of entries per bucket that keeps buckets within {@code listpackEntries}: the load of a bucket is
     * close to Poisson, so the mean stays three standard deviations below the limit ({@code floor(L - 3 * sqrt(L))},
     * 94 for Redis's default 128). With it, about 1 bucket in 1,500 goes over the limit, against half at a mean of L.
     */
    public static int targetEntriesPerBucket(int listpackEntries) {
        if (listpackEntries < 1) {
            throw new IllegalArgumentException("hash-max-listpack-entries " + listpackEntries + " leaves no room for a listpack");
        }
        return Math.max(1, (int) Math.floor(listpackEntries - 3 * Math.sqrt(listpackEntries)));
    }

    /** The bucket count for {@code expectedKeys}, sized for Redis's default listpack limit (128 entries). */
    public static int bucketsFor(long expectedKeys) {
        return bucketsFor(expectedKeys, DEFAULT_LISTPACK_ENTRIES);
    }

    /** {@code ceil(expectedKeys / targetEntriesPerBucket(listpackEntries))}, at least 1. */
    public static int bucketsFor(long expectedKeys, int listpackEntries) {
        if (expectedKeys < 1) {
            throw new IllegalArgumentException("expected keys must be at least 1, not " + expectedKeys);
        }
        long perBucket = targetEntriesPerBucket(listpackEntries);
        long buckets = expectedKeys / perBucket + (expectedKeys % perBucket == 0 ? 0 : 1);
        if (buckets > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(expectedKeys + " expected keys need more than " + Integer.MAX_VALUE + " buckets");
        }
        return (int) buckets;
    }

    @Override
    public String toString() {
        return "buckets " + new String(prefix, StandardCharsets.UTF_8) + "{0.." + (count - 1) + "} by " + HASH_NAME;
    }
}
