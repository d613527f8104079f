package io.redcompress.connect.codec;

/**
 * A value could not be decoded. This is the only exception type {@link ValueDecoder} throws for bad
 * input; the concrete subclass says why, and the message says what exactly was wrong.
 *
 * <ul>
 *   <li>{@link NotOurFormatException} - the first byte is not a format marker: someone else wrote it.</li>
 *   <li>{@link UnsupportedFormatVersionException} - a future format version (first byte 0xF6..0xFF).</li>
 *   <li>{@link TruncatedValueException} - the value ends before its structure says it should.</li>
 *   <li>{@link CorruptValueException} - anything else: bad descriptor, checksum mismatch, codec
 *       failure, length mismatch, trailing bytes.</li>
 *   <li>{@link OriginalLengthLimitExceededException} - the declared original length is above the
 *       decoder's cap (decompression-bomb guard).</li>
 * </ul>
 *
 * <p>The exception is unchecked on purpose: decoding is a pure function of the input bytes, so a
 * failure is a property of the data, not a transient condition a caller could retry; callers that
 * care (a consumer falling back to raw bytes, the connector routing a record to a dead-letter queue)
 * catch this one type at the boundary, and everyone else is spared {@code throws} clauses in lambdas
 * and streams. Codec library exceptions never escape: they are wrapped as the cause of a
 * {@link CorruptValueException}.
 */
public abstract class ValueDecodingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ValueDecodingException(String message) {
        super(message);
    }

    ValueDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
