package io.redcompress.connect.codec;

/**
 * The value ends before its own structure says it should: inside the header, before the declared
 * number of bytes of an uncompressed ({@code none}) payload, or before the end marker of a zstd frame
 * or gzip member.
 *
 * <p>Not every truncation can be told apart from other damage: a cut-short raw LZ4 or Snappy block
 * has no end marker, so it surfaces as a {@link CorruptValueException} instead. Conversely, damage to
 * a length field inside a payload can look like truncation. Either way the value is never returned.
 */
public final class TruncatedValueException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    TruncatedValueException(String message) {
        super(message);
    }

    TruncatedValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
