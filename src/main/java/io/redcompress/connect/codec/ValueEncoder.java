package io.redcompress.connect.codec;

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
 * threads safe. A thread that encodes many values spends less CPU with a {@link #session()}: it keeps
 * a buffer and the codec's native state between values, and stops compressing sizes of value whose
 * compression does not pay, storing them as it stores values that do not shrink.
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
    private final EncodingWorkspace perCall;

    private ValueEncoder(Builder builder) {
        this.codec = builder.codec;
        this.level = builder.level;
        this.minSizeToCompress = builder.minSizeToCompress;
        this.checksum = builder.checksum;
        this.perCall = new PerCallWorkspace(codec, level);
    }

    /** A builder starting from the defaults: lz4, checksum on, minimum size 64 bytes. */
    public static Builder builder() {
        return new Builder();
    }

    /** The encoder with all defaults (lz4, checksum on, minimum size 64 bytes). */
    public static ValueEncoder defaults() {
        return DEFAULTS;
    }

    /**
     * A thread-confined session that encodes many values with this encoder's settings, reusing a buffer
     * and the codec's native state; close it when done. See {@link EncodingSession}.
     */
    public EncodingSession session() {
        return new EncodingSession(this);
    }

    /** Encodes {@code original} and returns the value to store. */
    public byte[] encode(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encode(original, 0, original.length, perCall);
    }

    /** Encodes {@code original[offset .. offset+length)} and returns the value to store. */
    public byte[] encode(byte[] original, int offset, int length) {
        return encode(original, offset, length, perCall);
    }

    /** Encodes {@code original} and reports the codec actually used and the sizes. */
    public EncodedValue encodeValue(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encodeValue(original, 0, original.length);
    }

    /**
     * Encodes {@code original} with zstd and {@code dictionary} (codec id 5), or as {@link #encode(byte[])}
     * does when {@code dictionary} is null. A value that does not get smaller is stored with codec none.
     *
     * @throws IllegalArgumentException if a dictionary is given and the codec is not zstd
     */
    public byte[] encode(byte[] original, ZstdDictionary dictionary) {
        Objects.requireNonNull(original, "original");
        return encode(original, 0, original.length, perCall, dictionary);
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
        return described(encode(original, offset, length, perCall), length);
    }

    /** {@code encoded} with the codec its header names. */
    static EncodedValue described(byte[] encoded, int originalLength) {
        int codecId = (encoded[1] & 0xFF) >>> 4;
        if (codecId == ValueFormat.CODEC_ID_ZSTD_DICTIONARY) {
            return new EncodedValue(encoded, Codec.ZSTD, originalLength, ValueDecoder.header(encoded).dictionaryId());
        }
        return new EncodedValue(encoded, Codec.fromId(codecId), originalLength);
    }

    /**
     * The one encoding path, for the stateless methods and {@link EncodingSession} alike. Allocates
     * one array, the returned value; whatever else it uses comes from {@code workspace}.
     */
    byte[] encode(byte[] original, int offset, int length, EncodingWorkspace workspace) {
        return encode(original, offset, length, workspace, null);
    }

    /** As {@link #encode(byte[], int, int, EncodingWorkspace)}, with zstd's {@code dictionary} if not null. */
    byte[] encode(byte[] original, int offset, int length, EncodingWorkspace workspace, ZstdDictionary dictionary) {
        Objects.requireNonNull(original, "original");
        if (dictionary != null && codec != Codec.ZSTD) {
            throw new IllegalArgumentException("a dictionary compresses with zstd only; this encoder's codec is "
                    + codec.configName());
        }
        Objects.checkFromIndexSize(offset, length, original.length);
        if (length > MAX_ENCODABLE_LENGTH) {
            throw new IllegalArgumentException("value of " + length + " bytes is too large to encode");
        }
        int crc = 0;
        if (checksum) {
            CRC32C crc32c = workspace.crc32c();
            crc32c.update(original, offset, length);
            crc = (int) crc32c.getValue();
        }
        int headerLength = ValueFormat.headerLength(length, checksum);
        if (dictionary != null && length >= minSizeToCompress) {
            byte[] stored = encodeWithDictionary(original, offset, length, workspace, dictionary, headerLength, crc);
            if (stored != null) {
                return stored;
            }
        } else if (codec != Codec.NONE && length >= minSizeToCompress) {
            long bound = compressor().maxCompressedLength(length);
            if (headerLength + bound <= MAX_ENCODABLE_LENGTH && workspace.shouldAttempt(length)) {
                byte[] scratch = workspace.scratch((int) bound);
                int payloadLength;
                try {
                    payloadLength = workspace.compress(original, offset, length, scratch);
                } catch (RuntimeException e) {
                    throw new IllegalStateException(codec.configName() + " compression of a " + length
                            + "-byte value failed: " + e.getMessage(), e);
                }
                workspace.attempted(length, payloadLength);
                if (payloadLength >= 0 && payloadLength < length) {
                    byte[] out = new byte[headerLength + payloadLength];
                    ValueFormat.writeHeader(out, 0, codec, checksum, length, crc);
                    System.arraycopy(scratch, 0, out, headerLength, payloadLength);
                    return out;
                }
            }
        }
        byte[] out = new byte[headerLength + length];
        ValueFormat.writeHeader(out, 0, Codec.NONE, checksum, length, crc);
        System.arraycopy(original, offset, out, headerLength, length);
        return out;
    }

    /** The codec-5 value, or null if it would not be smaller than the value stored as none. */
    private byte[] encodeWithDictionary(byte[] original, int offset, int length, EncodingWorkspace workspace,
                                        ZstdDictionary dictionary, int plainHeaderLength, int crc) {
        int headerLength = ValueFormat.headerLength(length, checksum, dictionary.id());
        long bound = compressor().maxCompressedLength(length);
        if (headerLength + bound > MAX_ENCODABLE_LENGTH) {
            return null;
        }
        byte[] scratch = workspace.scratch((int) bound);
        int payloadLength;
        try {
            payloadLength = workspace.compressWithDictionary(dictionary, original, offset, length, scratch);
        } catch (RuntimeException e) {
            throw new IllegalStateException("zstd compression of a " + length + "-byte value with dictionary "
                    + dictionary.id() + " failed: " + e.getMessage(), e);
        }
        workspace.attemptedWithDictionary(length, payloadLength);
        if (payloadLength < 0 || headerLength + payloadLength >= plainHeaderLength + length) {
            return null;
        }
        byte[] out = new byte[headerLength + payloadLength];
        ValueFormat.writeDictionaryHeader(out, 0, checksum, length, crc, dictionary.id());
        System.arraycopy(scratch, 0, out, headerLength, payloadLength);
        return out;
    }

    /** The codec's payload format. Looked up when needed, so that building an encoder loads no codec library. */
    BlockCompressor compressor() {
        return BlockCompressors.of(codec);
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

    /** Everything fresh for each value: a new CRC32C, a new buffer, codec state opened and closed by the call. */
    private static final class PerCallWorkspace implements EncodingWorkspace {

        private final Codec codec;
        private final int level;

        PerCallWorkspace(Codec codec, int level) {
            this.codec = codec;
            this.level = level;
        }

        @Override
        public CRC32C crc32c() {
            return new CRC32C();
        }

        @Override
        public boolean shouldAttempt(int length) {
            return true;
        }

        @Override
        public byte[] scratch(int capacity) {
            return new byte[capacity];
        }

        @Override
        public int compress(byte[] src, int srcOff, int srcLen, byte[] dst) {
            return BlockCompressors.of(codec).compress(src, srcOff, srcLen, dst, 0, level);
        }

        @Override
        public int compressWithDictionary(ZstdDictionary dictionary, byte[] src, int srcOff, int srcLen, byte[] dst) {
            try (ZstdBlockCompressor.DictionaryCompression compression =
                         ZstdBlockCompressor.INSTANCE.openWithDictionary(level)) {
                return compression.compress(dictionary, src, srcOff, srcLen, dst, 0);
            }
        }

        @Override
        public void attempted(int length, int payloadLength) {
        }

        @Override
        public void attemptedWithDictionary(int length, int payloadLength) {
        }
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
