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
 * payload   the rest of the value
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
    /** Longest possible header: magic, descriptor, 5-byte varint, checksum. */
    public static final int MAX_HEADER_LENGTH = 2 + MAX_VARINT_LENGTH + CHECKSUM_LENGTH;
    /** Largest original length the format can declare. */
    public static final int MAX_ORIGINAL_LENGTH = Integer.MAX_VALUE;

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
     * Writes a v1 header at {@code dst[off]} and returns the offset just after it. The caller has
     * sized {@code dst} with {@link #headerLength(int, boolean)}.
     */
    static int writeHeader(byte[] dst, int off, Codec codec, boolean checksum, int originalLength, int crc32c) {
        int p = off;
        dst[p++] = (byte) MAGIC_V1;
        dst[p++] = (byte) ((codec.id() << 4) | (checksum ? FLAG_CHECKSUM : 0));
        int v = originalLength;
        while ((v & ~0x7F) != 0) {
            dst[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        dst[p++] = (byte) v;
        if (checksum) {
            dst[p++] = (byte) (crc32c >>> 24);
            dst[p++] = (byte) (crc32c >>> 16);
            dst[p++] = (byte) (crc32c >>> 8);
            dst[p++] = (byte) crc32c;
        }
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
        Codec codec = Codec.fromIdOrNull(codecId);
        if (codec == null) {
            throw new CorruptValueException(Reason.BAD_HEADER, String.format(
                    "descriptor 0x%02X names unknown codec id %d (known: 0..%d)",
                    descriptor, codecId, Codec.values().length - 1));
        }
        if ((flags & RESERVED_FLAGS_MASK) != 0) {
            throw new CorruptValueException(Reason.BAD_HEADER, String.format(
                    "descriptor 0x%02X sets reserved flag bits 0x%X (only bit 0 is defined in format version 1)",
                    descriptor, flags & RESERVED_FLAGS_MASK));
        }
        boolean checksum = (flags & FLAG_CHECKSUM) != 0;

        // unsigned LEB128, at most 5 bytes, minimal, <= 2^31-1
        int p = 2;
        long value = 0;
        int shift = 0;
        while (true) {
            if (p >= len) {
                throw new TruncatedValueException("value ends inside the original-length varint after "
                        + (p - 2) + " byte(s)");
            }
            int b = src[off + p] & 0xFF;
            p++;
            int count = p - 2;
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && count > 1) {
                    throw new CorruptValueException(Reason.BAD_HEADER,
                            "original-length varint is overlong: " + count + " bytes ending in 0x00 (not minimal)");
                }
                break;
            }
            if (count == MAX_VARINT_LENGTH) {
                throw new CorruptValueException(Reason.BAD_HEADER,
                        "original-length varint is longer than " + MAX_VARINT_LENGTH + " bytes");
            }
            shift += 7;
        }
        if (value > MAX_ORIGINAL_LENGTH) {
            throw new CorruptValueException(Reason.BAD_HEADER,
                    "original-length varint decodes to " + value + ", above the format maximum 2^31-1");
        }
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
        return new ValueHeader(1, codec, flags, originalLength, checksum, crc, p, len - p);
    }
}
