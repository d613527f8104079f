package io.redcompress.connect.codec;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The compression codecs of value format v1. The {@link #id() id} is what is written in the high
 * nibble of the descriptor byte and must never change for an existing constant.
 */
public enum Codec {
    /** Stored as is. Also used for values that are too small or do not compress. */
    NONE(0, 0, 0, 0),
    /** One raw LZ4 block (the {@code LZ4_compress_default} format, no frame). */
    LZ4(1, 0, 0, 0),
    /** The raw Snappy block format (not the framed/stream format). */
    SNAPPY(2, 0, 0, 0),
    /** One standard zstd frame; levels 1..22, default 3. */
    ZSTD(3, 1, 22, 3),
    /** One gzip member (RFC 1952); levels 1..9, default 6. */
    GZIP(4, 1, 9, 6);

    private static final Codec[] BY_ID = new Codec[16];

    static {
        for (Codec codec : values()) {
            BY_ID[codec.id] = codec;
        }
    }

    private final int id;
    private final int minLevel;
    private final int maxLevel;
    private final int defaultLevel;

    Codec(int id, int minLevel, int maxLevel, int defaultLevel) {
        this.id = id;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
        this.defaultLevel = defaultLevel;
    }

    /** What compresses with this codec here, for operators: a native library or pure Java. Loads it. */
    public String implementation() {
        return BlockCompressors.of(this).implementation();
    }

    /** The id written in the high nibble of the descriptor byte (0..15). */
    public int id() {
        return id;
    }

    /** Whether {@link ValueEncoder.Builder#level(int)} has an effect for this codec. */
    public boolean supportsLevel() {
        return maxLevel > 0;
    }

    /** The lowest accepted compression level, or 0 if the codec has no levels. */
    public int minLevel() {
        return minLevel;
    }

    /** The highest accepted compression level, or 0 if the codec has no levels. */
    public int maxLevel() {
        return maxLevel;
    }

    /** The level used when none is configured, or 0 if the codec has no levels. */
    public int defaultLevel() {
        return defaultLevel;
    }

    /** The lower-case name used in configuration and documentation, e.g. {@code "zstd"}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The codec with the given descriptor id.
     *
     * @throws IllegalArgumentException if no codec has that id (ids 5..15 are unassigned in v1)
     */
    public static Codec fromId(int id) {
        Codec codec = id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
        if (codec == null) {
            throw new IllegalArgumentException("unknown codec id " + id + "; valid ids are 0.."
                    + (values().length - 1));
        }
        return codec;
    }

    /** Like {@link #fromId(int)} but returns {@code null} for an unknown id. */
    static Codec fromIdOrNull(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * The codec with the given name, ignoring case and surrounding whitespace ({@code "LZ4"},
     * {@code "lz4"} and {@code " Zstd "} are all accepted).
     *
     * @throws IllegalArgumentException if the name is null or matches no codec; the message lists
     *     the valid names
     */
    public static Codec fromName(String name) {
        if (name != null) {
            String wanted = name.trim();
            for (Codec codec : values()) {
                if (codec.name().equalsIgnoreCase(wanted)) {
                    return codec;
                }
            }
        }
        throw new IllegalArgumentException("unknown codec '" + name + "'; valid codecs are " + validNames());
    }

    /** The valid names, lower case, comma separated: {@code "none, lz4, snappy, zstd, gzip"}. */
    public static String validNames() {
        return Arrays.stream(values()).map(Codec::configName).collect(Collectors.joining(", "));
    }
}
