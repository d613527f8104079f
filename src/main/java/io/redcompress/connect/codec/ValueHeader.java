package io.redcompress.connect.codec;

/**
 * The parsed header of an encoded value, for tooling and diagnostics. Obtained from
 * {@link ValueDecoder#header(byte[])}; parsing a header does not look at the payload, so a value whose
 * header parses may still fail to decode.
 *
 * @param formatVersion    the format version (1 for first byte {@code 0xF5})
 * @param codec            the codec named by the descriptor's high nibble
 * @param flags            the descriptor's low nibble as written
 * @param originalLength   declared length of the original (uncompressed) bytes
 * @param checksumPresent  whether a CRC32C of the original follows the length
 * @param crc32c           the stored CRC32C, or 0 when {@code checksumPresent} is false
 * @param payloadOffset    offset of the payload from the first byte of the value (= header length)
 * @param payloadLength    number of payload bytes (value length minus header length)
 * @param dictionaryId     the zstd dictionary the payload was compressed with (codec id 5, written as
 *                         {@link Codec#ZSTD} here), or 0 when the value names none
 */
public record ValueHeader(
        int formatVersion,
        Codec codec,
        int flags,
        int originalLength,
        boolean checksumPresent,
        int crc32c,
        int payloadOffset,
        int payloadLength,
        long dictionaryId) {

    /** A header of a value that names no dictionary. */
    public ValueHeader(int formatVersion, Codec codec, int flags, int originalLength, boolean checksumPresent,
                       int crc32c, int payloadOffset, int payloadLength) {
        this(formatVersion, codec, flags, originalLength, checksumPresent, crc32c, payloadOffset, payloadLength, 0);
    }

    /** Whether the payload needs a dictionary to decode (codec id 5). */
    public boolean usesDictionary() {
        return dictionaryId != 0;
    }

    /** The codec id written in the descriptor's high nibble: {@link Codec#id()}, or 5 for zstd with a dictionary. */
    public int codecId() {
        return usesDictionary() ? ValueFormat.CODEC_ID_ZSTD_DICTIONARY : codec.id();
    }

    /** The codec as operators see it: {@code zstd}, or {@code zstd+dictionary} for codec id 5. */
    public String codecName() {
        return usesDictionary() ? "zstd+dictionary" : codec.configName();
    }

    /** Length of the header in bytes (same as {@link #payloadOffset()}). */
    public int headerLength() {
        return payloadOffset;
    }

    @Override
    public String toString() {
        return "ValueHeader[v" + formatVersion + ", codec=" + codecName()
                + (usesDictionary() ? ", dictionaryId=" + dictionaryId : "")
                + ", originalLength=" + originalLength
                + (checksumPresent ? String.format(", crc32c=0x%08X", crc32c) : ", no checksum")
                + ", headerLength=" + payloadOffset + ", payloadLength=" + payloadLength + "]";
    }
}
