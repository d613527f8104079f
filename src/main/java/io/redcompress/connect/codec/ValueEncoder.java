package io.redcompress.connect.codec;

import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Encodes values into the self-describing compressed format (see {@code docs/value-format.md}).
 *
 * <pre>{@code
 * ValueEncoder encoder = ValueEncoder.builder().codec(Codec.ZSTD).level(3).build();
 * byte[] stored = encoder.encode(json);                 // just the bytes
 * EncodedValue result = encoder.encodeValue(json);      // bytes + codec used + sizes, for metrics
 * }</pre>
 *
 * <p>Rules applied to every value:
 * <ul>
 *   <li>values shorter than {@link #minSizeToCompress()} are stored with codec {@code none};</li>
 *   <li>if the compressed payload is not smaller than the original, the value is stored with codec
 *       {@code none} instead, so incompressible data grows by the header only
 *       ({@link ValueFormat#headerLength(int, boolean)}, at most 8 bytes below 16 KiB with checksum);</li>
 *   <li>with the checksum on (the default) the CRC32C of the original is stored in the header.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe. Nothing is cached or reused between calls: each call
 * allocates its own output and codec state, which is what makes sharing one encoder across tasks and
 * threads safe.
 */
public final class ValueEncoder {

    /** Default {@link Builder#minSizeToCompress(int)}: smaller values rarely gain from compression. */
    public static final int DEFAULT_MIN_SIZE_TO_COMPRESS = 64;
    /** Default codec. */
    public static final Codec DEFAULT_CODEC = Codec.LZ4;

    private static final int MAX_ENCODABLE_LENGTH = Integer.MAX_VALUE - ValueFormat.MAX_HEADER_LENGTH - 16;
    private static final ValueEncoder DEFAULTS = builder().build();

    private final Codec codec;
    private final int level;
    private final int minSizeToCompress;
    private final boolean checksum;

    private ValueEncoder(Builder builder) {
        this.codec = builder.codec;
        this.level = builder.level;
        this.minSizeToCompress = builder.minSizeToCompress;
        this.checksum = builder.checksum;
    }

    /** A builder starting from the defaults: lz4, checksum on, minimum size 64 bytes. */
    public static Builder builder() {
        return new Builder();
    }

    /** The encoder with all defaults (lz4, checksum on, minimum size 64 bytes). */
    public static ValueEncoder defaults() {
        return DEFAULTS;
    }

    /** Encodes {@code original} and returns the value to store. */
    public byte[] encode(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encodeValue(original, 0, original.length).bytes();
    }

    /** Encodes {@code original[offset .. offset+length)} and returns the value to store. */
    public byte[] encode(byte[] original, int offset, int length) {
        return encodeValue(original, offset, length).bytes();
    }

    /** Encodes {@code original} and reports the codec actually used and the sizes. */
    public EncodedValue encodeValue(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encodeValue(original, 0, original.length);
    }

    /**
     * Encodes {@code original[offset .. offset+length)} and reports the codec actually used and the
     * sizes.
     *
     * @throws IndexOutOfBoundsException if the range is outside the array
     * @throws IllegalArgumentException if the value is too large for a Java array once the header is
     *     added (about 2 GiB)
     * @throws IllegalStateException if the compression library fails, which indicates a bug or a
     *     broken native library rather than a problem with the value
     */
    public EncodedValue encodeValue(byte[] original, int offset, int length) {
        Objects.requireNonNull(original, "original");
        Objects.checkFromIndexSize(offset, length, original.length);
        if (length > MAX_ENCODABLE_LENGTH) {
            throw new IllegalArgumentException("value of " + length + " bytes is too large to encode");
        }
        int crc = 0;
        if (checksum) {
            CRC32C crc32c = new CRC32C();
            crc32c.update(original, offset, length);
            crc = (int) crc32c.getValue();
        }
        int headerLength = ValueFormat.headerLength(length, checksum);
        if (codec != Codec.NONE && length >= minSizeToCompress) {
            BlockCompressor compressor = BlockCompressors.of(codec);
            long capacity = headerLength + compressor.maxCompressedLength(length);
            if (capacity <= MAX_ENCODABLE_LENGTH) {
                byte[] buffer = new byte[(int) capacity];
                int payloadLength;
                try {
                    payloadLength = compressor.compress(original, offset, length, buffer, headerLength, level);
                } catch (RuntimeException e) {
                    throw new IllegalStateException(codec.configName() + " compression of a " + length
                            + "-byte value failed: " + e.getMessage(), e);
                }
                if (payloadLength >= 0 && payloadLength < length) {
                    ValueFormat.writeHeader(buffer, 0, codec, checksum, length, crc);
                    int total = headerLength + payloadLength;
                    byte[] out = total == buffer.length ? buffer : Arrays.copyOf(buffer, total);
                    return new EncodedValue(out, codec, length);
                }
            }
        }
        byte[] out = new byte[headerLength + length];
        ValueFormat.writeHeader(out, 0, Codec.NONE, checksum, length, crc);
        System.arraycopy(original, offset, out, headerLength, length);
        return new EncodedValue(out, Codec.NONE, length);
    }

    /** The configured codec (values may still be stored with {@link Codec#NONE}). */
    public Codec codec() {
        return codec;
    }

    /** The compression level in effect: the configured or default level, or 0 for codecs without levels. */
    public int level() {
        return level;
    }

    /** Values shorter than this many bytes are stored uncompressed. */
    public int minSizeToCompress() {
        return minSizeToCompress;
    }

    /** Whether a CRC32C of the original is written into every header. */
    public boolean checksum() {
        return checksum;
    }

    @Override
    public String toString() {
        return "ValueEncoder[codec=" + codec.configName()
                + (codec.supportsLevel() ? ", level=" + level : "")
                + ", minSizeToCompress=" + minSizeToCompress + ", checksum=" + checksum + "]";
    }

    /** Builds {@link ValueEncoder}s; not thread-safe, reusable. */
    public static final class Builder {
        private Codec codec = DEFAULT_CODEC;
        private Integer requestedLevel;
        private int level;
        private int minSizeToCompress = DEFAULT_MIN_SIZE_TO_COMPRESS;
        private boolean checksum = true;

        private Builder() {
        }

        /** The codec to compress with (default lz4). */
        public Builder codec(Codec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * The compression level: zstd 1..22 (default 3), gzip 1..9 (default 6). Ignored by codecs
         * without levels (none, lz4, snappy). Validated against the codec in {@link #build()}.
         */
        public Builder level(int level) {
            this.requestedLevel = level;
            return this;
        }

        /** Values shorter than this are stored with codec none (default 64; 0 compresses everything). */
        public Builder minSizeToCompress(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("minSizeToCompress must be >= 0, was " + bytes);
            }
            this.minSizeToCompress = bytes;
            return this;
        }

        /** Whether to store a CRC32C of the original in the header (default true, 4 bytes). */
        public Builder checksum(boolean checksum) {
            this.checksum = checksum;
            return this;
        }

        /**
         * Builds the encoder.
         *
         * @throws IllegalArgumentException if a level was set that the codec does not accept
         */
        public ValueEncoder build() {
            if (!codec.supportsLevel()) {
                level = 0;
            } else if (requestedLevel == null) {
                level = codec.defaultLevel();
            } else {
                int l = requestedLevel;
                if (l < codec.minLevel() || l > codec.maxLevel()) {
                    throw new IllegalArgumentException("compression level " + l + " is out of range for "
                            + codec.configName() + " (" + codec.minLevel() + ".." + codec.maxLevel() + ")");
                }
                level = l;
            }
            return new ValueEncoder(this);
        }
    }
}
