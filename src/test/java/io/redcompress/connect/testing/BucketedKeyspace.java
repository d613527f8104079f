package io.redcompress.connect.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;

/**
 * The bucketed layout as tests write and read it, through a plain RESP client (an oracle independent of the code under
 * test): the marker, entries written as the connector writes them, and a snapshot of every bucket.
 */
public final class BucketedKeyspace {

    private final RespClient client;
    private final String prefix;

    public BucketedKeyspace(RespClient client, String prefix) {
        this.client = client;
        this.prefix = prefix;
    }

    public void writeMarker(LayoutMarker marker) {
        client.command("SET", prefix + BucketLayout.MARKER_SUFFIX, marker.format());
    }

    /** The marker as stored, or null. */
    public LayoutMarker marker() {
        byte[] stored = (byte[]) client.command("GET", prefix + BucketLayout.MARKER_SUFFIX);
        return stored == null ? null : LayoutMarker.parse(stored);
    }

    public BucketLayout layout(int count) {
        return BucketLayout.of(prefix, count);
    }

    /** HSET of {@code key} into its bucket of a layout of {@code count} buckets. */
    public void set(int count, String key, byte[] value) {
        byte[] field = key.getBytes(StandardCharsets.UTF_8);
        client.command("HSET".getBytes(StandardCharsets.US_ASCII), layout(count).bucketKey(field), field, value);
    }

    /** HDEL of {@code key} from its bucket of a layout of {@code count} buckets. */
    public void delete(int count, String key) {
        byte[] field = key.getBytes(StandardCharsets.UTF_8);
        client.command("HDEL".getBytes(StandardCharsets.US_ASCII), layout(count).bucketKey(field), field);
    }

    /**
     * Every bucket under the prefix (keys that are the prefix and digits), bucket key to its fields and values (values
     * as ISO-8859-1 text, byte for byte).
     */
    public Map<String, Map<String, String>> snapshot() {
        Map<String, Map<String, String>> buckets = new TreeMap<>();
        for (String key : client.keys(globEscaped(prefix) + "*")) {
            if (!key.substring(prefix.length()).matches("[0-9]+")) {
                continue;
            }
            Map<String, String> entries = new TreeMap<>();
            List<?> flat = (List<?>) client.command("HGETALL", key);
            for (int i = 0; i < flat.size(); i += 2) {
                entries.put(new String((byte[]) flat.get(i), StandardCharsets.UTF_8),
                        new String((byte[]) flat.get(i + 1), StandardCharsets.ISO_8859_1));
            }
            buckets.put(key, entries);
        }
        return buckets;
    }

    /** Every entry of {@code snapshot}, field to value; fails when a field stands in two buckets. */
    public static Map<String, String> entries(Map<String, Map<String, String>> snapshot) {
        Map<String, String> all = new TreeMap<>();
        snapshot.forEach((bucket, entries) -> entries.forEach((field, value) -> {
            if (all.put(field, value) != null) {
                throw new AssertionError(field + " stands in two buckets, one of them " + bucket);
            }
        }));
        return all;
    }

    private static String globEscaped(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }
}
