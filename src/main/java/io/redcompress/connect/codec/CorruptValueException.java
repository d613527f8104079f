package io.redcompress.connect.codec;

import java.util.Objects;

/**
 * The value carries our format marker but is damaged: its descriptor or length field is invalid, the
 * payload cannot be decompressed, it decompresses to a different length than declared, the checksum
 * does not match, or there are bytes after the payload. The {@link #reason()} classifies the damage;
 * when a codec library reported the problem it is kept as the cause.
 */
public final class CorruptValueException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    /** What kind of damage was found. */
    public enum Reason {
        /** Unknown codec id, reserved flag bits set, or an overlong/overflowing length varint. */
        BAD_HEADER,
        /** The codec rejected the payload (malformed stream or block). */
        CODEC_FAILURE,
        /** The payload decompresses (or would decompress) to a length other than the declared one. */
        LENGTH_MISMATCH,
        /** The CRC32C in the header, or the codec's own checksum, does not match the data. */
        CHECKSUM_MISMATCH,
        /** Bytes follow the end of the payload's frame/member, or a none payload is too long. */
        TRAILING_BYTES
    }

    private final Reason reason;

    CorruptValueException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    CorruptValueException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The kind of damage. */
    public Reason reason() {
        return reason;
    }
}
