package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;

/**
 * Constants and header layout of the value format (see {@code docs/value-format.md}).
 *
 * <pre>
 * byte 0    0xF5 = format version 1 (0xF6..0xFF reserved for future versions)
 * byte 1    descriptor: high nibble codec id, low nibble flags (bit 0 = CRC32C present, bits 1-3 zero)
 * varint    original length, unsigned LEB128, 1..5 bytes, minimal, at most 2^31-1
 * [4 bytes] CRC32C of the original bytes, big-endian, iff flag bit 0
 * [varint]  codec id 5 only: the dictionary id, unsigned LEB128, 1..5 bytes, minimal, 1..2^32-1
 * payload   the rest of the value (codec id 5: a zstd frame without its 4-byte magic number)
 * </pre>
 *
 * <p>This class is the single place that writes and parses the header; the public part is what
 * tooling and the connector need to reason about sizes.
 */
public final class ValueFormat {

    /** First byte of every format-version-1 value. */
    public static final int MAGIC_V1 = 0xF5;
    /** First bytes at or above this value (up to 0xFF) belong to reserved future format versions. */
    public static final int FIRST_RESERVED_MAGIC = 0xF6;
    /** Descriptor flag: a CRC32C of the original bytes follows the length varint. */
    public static final int FLAG_CHECKSUM = 0x01;
    /** Descriptor flag bits that are reserved in v1 and must be zero. */
    public static final int RESERVED_FLAGS_MASK = 0x0E;
    /** Longest allowed length varint. */
    public static final int MAX_VARINT_LENGTH = 5;
    /** Length of the CRC32C field when present. */
    public static final int CHECKSUM_LENGTH = 4;
    /**
     * Longest possible header of codecs 0..4: magic, descriptor, 5-byte varint, checksum. A codec-5 header adds the
     * dictionary id's varint, 1..5 bytes more ({@link #headerLength(int, boolean, long)}).
     */
    public static final int MAX_HEADER_LENGTH = 2 + MAX_VARINT_LENGTH + CHECKSUM_LENGTH;
    /** Largest original length the format can declare. */
    public static final int MAX_ORIGINAL_LENGTH = Integer.MAX_VALUE;
    /** Codec id of zstd with a dictionary: a dictionary-id varint, then a magicless zstd frame. */
    public static final int CODEC_ID_ZSTD_DICTIONARY = 5;
    /** Largest dictionary id the format can name (2^32-1); 0 is reserved. */
    public static final long MAX_DICTIONARY_ID = 0xFFFF_FFFFL;
    /** Highest codec id this decoder knows. */
    static final int MAX_KNOWN_CODEC_ID = CODEC_ID_ZSTD_DICTIONARY;

    private ValueFormat() {
    }

    /**
     * Number of bytes the unsigned LEB128 encoding of {@code value} takes (1..5).
     *
     * @throws IllegalArgumentException if value is negative
     */
    public static int varintLength(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative length " + value);
        }
        if (value < 1 << 7) {
            return 1;
        }
        if (value < 1 << 14) {
            return 2;
        }
        if (value < 1 << 21) {
            return 3;
        }
        if (value < 1 << 28) {
            return 4;
        }
        return 5;
    }

    /**
     * Length of the header written for an original of the given length. With the checksum this is
     * at most 8 bytes for originals shorter than 16 KiB (2 + 2 + 4), and never more than
     * {@link #MAX_HEADER_LENGTH}.
     */
    public static int headerLength(int originalLength, boolean checksum) {
        return 2 + varintLength(originalLength) + (checksum ? CHECKSUM_LENGTH : 0);
    }

    /**
     * Length of the header of a value compressed with dictionary {@code dictionaryId} (codec id 5): the
     * plain header and the id's varint (3 bytes for the ids the connector derives).
     */
    public static int headerLength(int originalLength, boolean checksum, long dictionaryId) {
        return headerLength(originalLength, checksum) + varintLength(dictionaryId);
    }

    /** Number of bytes the unsigned LEB128 encoding of a dictionary id takes (1..5). */
    static int varintLength(long value) {
        if (value < 0 || value > MAX_DICTIONARY_ID) {
            throw new IllegalArgumentException("dictionary id " + value + " is outside 0..2^32-1");
        }
        int length = 1;
        for (long v = value >>> 7; v != 0; v >>>= 7) {
            length++;
        }
        return length;
    }

    /**
     * Writes a v1 header at {@code dst[off]} and returns the offset just after it. The caller has
     * sized {@code dst} with {@link #headerLength(int, boolean)}.
     */
    static int writeHeader(byte[] dst, int off, Codec codec, boolean checksum, int originalLength, int crc32c) {
        return writeHeader(dst, off, codec.id(), checksum, originalLength, crc32c);
    }

    /**
     * Writes the header of a value compressed with dictionary {@code dictionaryId} (codec id 5), id
     * included, and returns the offset just after it; sized by {@link #headerLength(int, boolean, long)}.
     */
    static int writeDictionaryHeader(byte[] dst, int off, boolean checksum, int originalLength, int crc32c,
                                     long dictionaryId) {
        int p = writeHeader(dst, off, CODEC_ID_ZSTD_DICTIONARY, checksum, originalLength, crc32c);
        return writeVarint(dst, p, dictionaryId);
    }

    private static int writeHeader(byte[] dst, int off, int codecId, boolean checksum, int originalLength,
                                   int crc32c) {
        int p = off;
        dst[p++] = (byte) MAGIC_V1;
        dst[p++] = (byte) ((codecId << 4) | (checksum ? FLAG_CHECKSUM : 0));
        p = writeVarint(dst, p, originalLength);
        if (checksum) {
            dst[p++] = (byte) (crc32c >>> 24);
            dst[p++] = (byte) (crc32c >>> 16);
            dst[p++] = (byte) (crc32c >>> 8);
            dst[p++] = (byte) crc32c;
        }
        return p;
    }

    private static int writeVarint(byte[] dst, int off, long value) {
        int p = off;
        long v = value;
        while ((v & ~0x7FL) != 0) {
            dst[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        dst[p++] = (byte) v;
        return p;
    }

    /**
     * Parses the header of the value {@code src[off .. off+len)}.
     *
     * @param maxOriginalLength declared lengths above this throw
     *     {@link OriginalLengthLimitExceededException}; checked as soon as the varint is read, before
     *     anything else (such as a missing checksum) is looked at
     */
    static ValueHeader parseHeader(byte[] src, int off, int len, int maxOriginalLength) {
        if (len == 0) {
            throw new TruncatedValueException("value is empty (0 bytes); a v1 value has at least 3 bytes");
        }
        int magic = src[off] & 0xFF;
        if (magic < MAGIC_V1) {
            throw new NotOurFormatException(String.format(
                    "first byte 0x%02X is not a format marker (expected 0xF5 for format version 1); "
                            + "the value was not written by this encoder", magic));
        }
        if (magic >= FIRST_RESERVED_MAGIC) {
            throw new UnsupportedFormatVersionException(magic);
        }
        if (len < 2) {
            throw new TruncatedValueException("value ends after the format byte: 1 byte, no descriptor");
        }
        int descriptor = src[off + 1] & 0xFF;
        int codecId = descriptor >>> 4;
        int flags = descriptor & 0x0F;
        boolean withDictionary = codecId == CODEC_ID_ZSTD_DICTIONARY;
        Codec codec = withDictionary ? Codec.ZSTD : Codec.fromIdOrNull(codecId);
        if (codec == null) {
            throw new CorruptValueException(Reason.BAD_HEADER, String.format(
                    "descriptor 0x%02X names unknown codec id %d (known: 0..%d; a newer encoder may have written it)",
                    descriptor, codecId, MAX_KNOWN_CODEC_ID));
        }
        if ((flags & RESERVED_FLAGS_MASK) != 0) {
            throw new CorruptValueException(Reason.BAD_HEADER, String.format(
                    "descriptor 0x%02X sets reserved flag bits 0x%X (only bit 0 is defined in format version 1)",
                    descriptor, flags & RESERVED_FLAGS_MASK));
        }
        boolean checksum = (flags & FLAG_CHECKSUM) != 0;

        int p = 2;
        long value = readVarint(src, off, len, p, "original-length");
        if (value > MAX_ORIGINAL_LENGTH) {
            throw new CorruptValueException(Reason.BAD_HEADER,
                    "original-length varint decodes to " + value + ", above the format maximum 2^31-1");
        }
        p += varintLength(value);
        int originalLength = (int) value;
        if (originalLength > maxOriginalLength) {
            throw new OriginalLengthLimitExceededException(originalLength, maxOriginalLength);
        }
        int crc = 0;
        if (checksum) {
            if (len - p < CHECKSUM_LENGTH) {
                throw new TruncatedValueException("value ends inside the CRC32C field: " + (len - p)
                        + " of 4 bytes present");
            }
            int q = off + p;
            crc = ((src[q] & 0xFF) << 24) | ((src[q + 1] & 0xFF) << 16) | ((src[q + 2] & 0xFF) << 8) | (src[q + 3] & 0xFF);
            p += CHECKSUM_LENGTH;
        }
        long dictionaryId = 0;
        if (withDictionary) {
            dictionaryId = readVarint(src, off, len, p, "dictionary-id");
            if (dictionaryId == 0) {
                throw new CorruptValueException(Reason.BAD_HEADER, "dictionary id 0 is reserved; a codec id 5 value "
                        + "names a dictionary from 1 to 2^32-1");
            }
            if (dictionaryId > MAX_DICTIONARY_ID) {
                throw new CorruptValueException(Reason.BAD_HEADER,
                        "dictionary-id varint decodes to " + dictionaryId + ", above the format maximum 2^32-1");
            }
            p += varintLength(dictionaryId);
        }
        return new ValueHeader(1, codec, flags, originalLength, checksum, crc, p, len - p, dictionaryId);
    }

    /**
     * Reads the unsigned LEB128 varint at {@code src[off+p]}: at most 5 bytes, minimal. The caller checks
     * the range of the result and advances by {@link #varintLength(long)} of it (minimal, so the same).
     */
    private static long readVarint(byte[] src, int off, int len, int start, String what) {
        int p = start;
        long value = 0;
        int shift = 0;
        while (true) {
            if (p >= len) {
                throw new TruncatedValueException("value ends inside the " + what + " varint after "
                        + (p - start) + " byte(s)");
            }
            int b = src[off + p] & 0xFF;
            p++;
            int count = p - start;
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && count > 1) {
                    throw new CorruptValueException(Reason.BAD_HEADER,
                            what + " varint is overlong: " + count + " bytes ending in 0x00 (not minimal)");
                }
                return value;
            }
            if (count == MAX_VARINT_LENGTH) {
                throw new CorruptValueException(Reason.BAD_HEADER,
                        what + " varint is longer than " + MAX_VARINT_LENGTH + " bytes");
            }
            shift += 7;
        }
    }
}
