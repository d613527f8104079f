package io.redcompress.connect.layout;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layout's parameters as stored in Redis at {@code <prefix>layout}, one line of {@code name=value} pairs:
 * {@code layout=buckets version=1 hash=crc32-ieee count=4167 field=logical-key}, and while a re-bucketing runs,
 * {@code previous=<old count> since=<ms since the epoch, by Redis's clock>} after them. Written once, with SET NX, by
 * the first task; every task compares its configuration with it before writing, and refuses to start on a mismatch.
 *
 * @param previousCount the count being migrated away from, or 0 when no re-bucketing runs
 * @param sinceMillis   when the re-bucketing began (Redis's TIME), or 0
 */
public record LayoutMarker(int version, String hash, int count, String field, int previousCount, long sinceMillis) {

    public static final int VERSION = 1;

    public LayoutMarker {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, not " + count);
        }
    }

    /** The marker of a layout of {@code count} buckets, as this version writes it. */
    public static LayoutMarker of(int count) {
        return new LayoutMarker(VERSION, BucketLayout.HASH_NAME, count, BucketLayout.FIELD_RULE, 0, 0);
    }

    public boolean migrating() {
        return previousCount > 0;
    }

    /** The marker while entries move from this layout's buckets to {@code newCount} buckets. */
    public LayoutMarker migratingTo(int newCount, long sinceMillis) {
        return new LayoutMarker(version, hash, newCount, field, count, sinceMillis);
    }

    /** The marker once every entry is in its new bucket. */
    public LayoutMarker migrated() {
        return new LayoutMarker(version, hash, count, field, 0, 0);
    }

    /** Whether this version can read and write the layout the marker describes (version, hash and field rule). */
    public boolean understood() {
        return version == VERSION && BucketLayout.HASH_NAME.equals(hash) && BucketLayout.FIELD_RULE.equals(field);
    }

    public String format() {
        String line = "layout=buckets version=" + version + " hash=" + hash + " count=" + count + " field=" + field;
        return migrating() ? line + " previous=" + previousCount + " since=" + sinceMillis : line;
    }

    public byte[] bytes() {
        return format().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a layout marker; the message quotes them
     */
    public static LayoutMarker parse(byte[] stored) {
        String text = new String(stored, StandardCharsets.UTF_8);
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String part : text.trim().split(" +")) {
            int eq = part.indexOf('=');
            if (eq < 1) {
                throw notAMarker(text);
            }
            pairs.put(part.substring(0, eq), part.substring(eq + 1));
        }
        if (!"buckets".equals(pairs.get("layout"))) {
            throw notAMarker(text);
        }
        try {
            return new LayoutMarker(Integer.parseInt(required(pairs, "version", text)), required(pairs, "hash", text),
                    Integer.parseInt(required(pairs, "count", text)), required(pairs, "field", text),
                    Integer.parseInt(pairs.getOrDefault("previous", "0")), Long.parseLong(pairs.getOrDefault("since", "0")));
        } catch (NumberFormatException e) {
            throw notAMarker(text);
        }
    }

    private static String required(Map<String, String> pairs, String name, String text) {
        String value = pairs.get(name);
        if (value == null) {
            throw notAMarker(text);
        }
        return value;
    }

    private static IllegalArgumentException notAMarker(String text) {
        String shown = text.length() > 120 ? text.substring(0, 120) + "..." : text;
        return new IllegalArgumentException("'" + shown + "' is not a bucket layout marker (expected 'layout=buckets "
                + "version=1 hash=crc32-ieee count=<n> field=logical-key')");
    }
}
