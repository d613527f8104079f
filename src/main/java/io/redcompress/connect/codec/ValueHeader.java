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
 */
public record ValueHeader(
        int formatVersion,
        Codec codec,
        int flags,
        int originalLength,
        boolean checksumPresent,
        int crc32c,
        int payloadOffset,
        int payloadLength) {

    /** Length of the header in bytes (same as {@link #payloadOffset()}). */
    public int headerLength() {
        return payloadOffset;
    }

    @Override
    public String toString() {
        return "ValueHeader[v" + formatVersion + ", codec=" + codec.configName()
                + ", originalLength=" + originalLength
                + (checksumPresent ? String.format(", crc32c=0x%08X", crc32c) : ", no checksum")
                + ", headerLength=" + payloadOffset + ", payloadLength=" + payloadLength + "]";
    }
}
