package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Decodes values written by {@link ValueEncoder} (see {@code docs/value-format.md}).
 *
 * <pre>{@code
 * byte[] original = ValueDecoder.decode(stored);            // default cap: 64 MiB
 *
 * ValueDecoder big = ValueDecoder.builder().maxOriginalLength(256 << 20).build();
 * byte[] original = big.decodeValue(stored);
 *
 * // keys shared with other writers: pass foreign values through
 * byte[] value = ValueDecoder.isOurFormat(stored) ? ValueDecoder.decode(stored) : stored;
 * }</pre>
 *
 * <p>Guarantees: decoding either returns exactly the bytes that were encoded or throws a
 * {@link ValueDecodingException} subclass - never wrong bytes, never a raw codec exception. The
 * decompressed length must equal the declared original length exactly (with or without the checksum
 * flag); when the flag is set the CRC32C must match too. Declared lengths above the cap are rejected
 * before any output is allocated, and for lz4 and gzip a declared length the payload could not
 * possibly produce is rejected before allocating as well.
 *
 * <p>Which error for which damage:
 * <ul>
 *   <li>empty input: {@link TruncatedValueException} (it is the zero-length prefix of every value;
 *       {@link #isOurFormat(byte[])} returns false for it, so pass-through callers never get here);</li>
 *   <li>first byte {@code 0x00..0xF4}: {@link NotOurFormatException}; {@code 0xF6..0xFF}:
 *       {@link UnsupportedFormatVersionException};</li>
 *   <li>header cut short, a {@code none} payload shorter than declared, a zstd frame or gzip member
 *       cut before its end: {@link TruncatedValueException};</li>
 *   <li>a cut-short lz4 or snappy block (these have no end marker), bad descriptor, bad varint,
 *       checksum mismatch, length mismatch, trailing bytes: {@link CorruptValueException};</li>
 *   <li>declared length above the cap: {@link OriginalLengthLimitExceededException};</li>
 *   <li>a value compressed with a zstd dictionary (codec id 5) that the decoder's
 *       {@link DictionaryResolver} does not know: {@link UnknownDictionaryException}.</li>
 * </ul>
 *
 * <p>Values compressed with a dictionary need a decoder built with a resolver:
 * <pre>{@code
 * ValueDecoder decoder = ValueDecoder.builder()
 *         .dictionaries(id -> redis.get(("redcompress:dict:" + id).getBytes(UTF_8)))
 *         .build();
 * byte[] original = decoder.decodeValue(stored);
 * }</pre>
 *
 * <p>Instances are thread-safe. They hold the cap, the resolver and a bounded cache of the
 * dictionaries it returned (dictionaries never change); zstd decompression uses one native context
 * per thread, kept between values.
 */
public final class ValueDecoder {

    /** Default cap on the declared original length: 64 MiB. */
    public static final int DEFAULT_MAX_ORIGINAL_LENGTH = 64 * 1024 * 1024;

    private static final ValueDecoder DEFAULTS = builder().build();

    /** Default number of dictionaries a decoder keeps digested. */
    public static final int DEFAULT_DICTIONARY_CACHE_SIZE = 64;

    private final int maxOriginalLength;
    private final DictionaryResolver resolver;
    private final Map<Long, ZstdDictionary> dictionaries;

    private ValueDecoder(Builder builder) {
        this.maxOriginalLength = builder.maxOriginalLength;
        this.resolver = builder.resolver;
        int cacheSize = builder.dictionaryCacheSize;
        this.dictionaries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ZstdDictionary> eldest) {
                return size() > cacheSize;
            }
        };
    }

    /** A builder starting from the defaults (cap 64 MiB). */
    public static Builder builder() {
        return new Builder();
    }

    /** The decoder with the default cap of 64 MiB. */
    public static ValueDecoder defaults() {
        return DEFAULTS;
    }

    /**
     * Decodes {@code value} with the default cap of 64 MiB.
     *
     * @throws ValueDecodingException (a subclass of it) if the value cannot be decoded
     */
    public static byte[] decode(byte[] value) {
        return DEFAULTS.decodeValue(value);
    }

    /**
     * Whether {@code value} carries a marker of this format (first byte {@code 0xF5}..{@code 0xFF}),
     * i.e. it was written by a {@link ValueEncoder}, possibly of a newer format version. Returns false
     * for null, empty, and anything starting like UTF-8 text. Only the first byte is examined; binary
     * values written by others may start with these bytes too.
     */
    public static boolean isOurFormat(byte[] value) {
        return value != null && value.length > 0 && (value[0] & 0xFF) >= ValueFormat.MAGIC_V1;
    }

    /**
     * Parses just the header of {@code value}, for tooling. No cap is applied and the payload is not
     * examined, so decoding may still fail.
     *
     * @throws ValueDecodingException if the header itself is not valid
     */
    public static ValueHeader header(byte[] value) {
        Objects.requireNonNull(value, "value");
        return ValueFormat.parseHeader(value, 0, value.length, ValueFormat.MAX_ORIGINAL_LENGTH);
    }

    /**
     * Decodes {@code value}.
     *
     * @throws ValueDecodingException (a subclass of it) if the value cannot be decoded
     */
    public byte[] decodeValue(byte[] value) {
        Objects.requireNonNull(value, "value");
        return decodeValue(value, 0, value.length);
    }

    /**
     * Decodes the value stored in {@code value[offset .. offset+length)}.
     *
     * @throws ValueDecodingException (a subclass of it) if the value cannot be decoded
     * @throws IndexOutOfBoundsException if the range is outside the array
     */
    public byte[] decodeValue(byte[] value, int offset, int length) {
        Objects.requireNonNull(value, "value");
        Objects.checkFromIndexSize(offset, length, value.length);
        ValueHeader header = ValueFormat.parseHeader(value, offset, length, maxOriginalLength);
        Codec codec = header.codec();
        int declared = header.originalLength();
        byte[] original;
        ZstdDictionary dictionary = header.usesDictionary() ? dictionary(header.dictionaryId()) : null;
        try {
            if (dictionary != null) {
                original = ZstdBlockCompressor.INSTANCE.decompressWithDictionary(
                        value, offset + header.payloadOffset(), header.payloadLength(), declared, dictionary);
            } else {
                original = BlockCompressors.of(codec).decompress(
                        value, offset + header.payloadOffset(), header.payloadLength(), declared);
            }
        } catch (ValueDecodingException e) {
            throw e;
        } catch (RuntimeException e) {
            // lz4/snappy/zstd/zip exceptions and any index errors from Java or native codecs
            throw new CorruptValueException(Reason.CODEC_FAILURE, header.codecName() + " payload of "
                    + header.payloadLength() + " bytes could not be decoded: " + e, e);
        }
        if (original.length != declared) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + declared
                    + " but " + codec.configName() + " payload decompressed to " + original.length + " bytes");
        }
        if (header.checksumPresent()) {
            CRC32C crc32c = new CRC32C();
            crc32c.update(original, 0, original.length);
            int computed = (int) crc32c.getValue();
            if (computed != header.crc32c()) {
                throw new CorruptValueException(Reason.CHECKSUM_MISMATCH, String.format(
                        "CRC32C mismatch: header 0x%08X, computed 0x%08X over %d decoded bytes (%s payload)",
                        header.crc32c(), computed, original.length, header.codecName()));
            }
        }
        return original;
    }

    /**
     * Dictionary {@code id}, from the cache or the resolver.
     *
     * @throws UnknownDictionaryException if the resolver does not have it, or returns something else
     */
    private ZstdDictionary dictionary(long id) {
        synchronized (dictionaries) {
            ZstdDictionary cached = dictionaries.get(id);
            if (cached != null) {
                return cached;
            }
        }
        byte[] bytes = resolver.dictionary(id);
        if (bytes == null) {
            throw new UnknownDictionaryException(id, "the value was compressed with zstd dictionary " + id
                    + ", which this decoder's dictionary resolver does not have; build the decoder with "
                    + "ValueDecoder.builder().dictionaries(...) reading the connector's dictionaries "
                    + "(key <compression.dictionary.key.prefix>:" + id + " in Redis)");
        }
        if (!DictionaryIds.isFullDictionary(bytes)) {
            throw new UnknownDictionaryException(id, "the dictionary resolver returned " + bytes.length
                    + " bytes for dictionary " + id + " that are not a zstd dictionary (no magic 37 A4 30 EC)");
        }
        long embedded = DictionaryIds.embedded(bytes);
        if (embedded != id) {
            throw new UnknownDictionaryException(id, "the dictionary resolver returned dictionary " + embedded
                    + " (its bytes 4..7) when asked for dictionary " + id);
        }
        ZstdDictionary dictionary = ZstdDictionary.of(bytes);
        try {
            dictionary.decompressor();
        } catch (RuntimeException e) {
            // not cached: the bytes under the key may be repaired
            throw new UnknownDictionaryException(id, "the dictionary resolver returned " + bytes.length + " bytes for "
                    + "dictionary " + id + " that zstd cannot use (damaged?): " + e.getMessage());
        }
        synchronized (dictionaries) {
            ZstdDictionary raced = dictionaries.putIfAbsent(id, dictionary);
            return raced != null ? raced : dictionary;
        }
    }

    /** The cap on the declared original length. */
    public int maxOriginalLength() {
        return maxOriginalLength;
    }

    @Override
    public String toString() {
        return "ValueDecoder[maxOriginalLength=" + maxOriginalLength + "]";
    }

    /** Builds {@link ValueDecoder}s. */
    public static final class Builder {
        private int maxOriginalLength = DEFAULT_MAX_ORIGINAL_LENGTH;
        private DictionaryResolver resolver = DictionaryResolver.none();
        private int dictionaryCacheSize = DEFAULT_DICTIONARY_CACHE_SIZE;

        private Builder() {
        }

        /**
         * Where values compressed with a zstd dictionary (codec id 5) find it (default: nowhere, so they
         * fail with {@link UnknownDictionaryException}).
         */
        public Builder dictionaries(DictionaryResolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /** How many dictionaries the decoder keeps digested, least recently used out first (default 64). */
        public Builder dictionaryCacheSize(int dictionaries) {
            if (dictionaries < 1) {
                throw new IllegalArgumentException("dictionaryCacheSize must be >= 1, was " + dictionaries);
            }
            this.dictionaryCacheSize = dictionaries;
            return this;
        }

        /**
         * Values declaring a longer original are rejected with
         * {@link OriginalLengthLimitExceededException} before anything is allocated (default 64 MiB;
         * {@link Integer#MAX_VALUE} disables the cap).
         */
        public Builder maxOriginalLength(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxOriginalLength must be >= 0, was " + bytes);
            }
            this.maxOriginalLength = bytes;
            return this;
        }

        public ValueDecoder build() {
            return new ValueDecoder(this);
        }
    }
}
