package io.redcompress.connect.tools;

import java.util.Locale;

import io.redcompress.connect.codec.CorruptValueException;
import io.redcompress.connect.codec.NotOurFormatException;
import io.redcompress.connect.codec.OriginalLengthLimitExceededException;
import io.redcompress.connect.codec.TruncatedValueException;
import io.redcompress.connect.codec.UnknownDictionaryException;
import io.redcompress.connect.codec.UnsupportedFormatVersionException;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueDecodingException;
import io.redcompress.connect.codec.ValueHeader;

/**
 * What one stored value is: ours and decodable (with its header and original bytes), foreign (not in our format),
 * or ours but undecodable (with the kind of error and the decoder's message).
 *
 * @param outcome      which of the three
 * @param storedLength bytes as stored in Redis
 * @param header       the parsed header, or null for a foreign value or a header that does not parse
 * @param original     the decoded bytes, or null unless {@link Outcome#DECODED}
 * @param errorKind    for {@link Outcome#UNDECODABLE}: a short name of the error ({@link #errorKind(ValueDecodingException)})
 * @param errorMessage for {@link Outcome#UNDECODABLE}: the decoder's message
 */
public record ValueReport(Outcome outcome, int storedLength, ValueHeader header, byte[] original, String errorKind,
                          String errorMessage) {

    public enum Outcome { DECODED, FOREIGN, UNDECODABLE }

    /**
     * Decodes {@code value} with {@code decoder} (whose dictionary resolver fetches what a zstd+dictionary value
     * names). A failure to reach the dictionaries (the resolver throws something other than a decoding error) is
     * not a finding about the value and is let through.
     */
    public static ValueReport of(byte[] value, ValueDecoder decoder) {
        if (!ValueDecoder.isOurFormat(value)) {
            return new ValueReport(Outcome.FOREIGN, value.length, null, null, null, null);
        }
        ValueHeader header = null;
        try {
            header = ValueDecoder.header(value);
            byte[] original = decoder.decodeValue(value);
            return new ValueReport(Outcome.DECODED, value.length, header, original, null, null);
        } catch (ValueDecodingException e) {
            return new ValueReport(Outcome.UNDECODABLE, value.length, header, null, errorKind(e), e.getMessage());
        }
    }

    /**
     * A short, stable name of a decoding error, for counts: {@code truncated}, {@code corrupt:<reason>} (e.g.
     * {@code corrupt:checksum-mismatch}), {@code unsupported-version}, {@code length-limit}, {@code unknown-dictionary},
     * {@code not-our-format}.
     */
    public static String errorKind(ValueDecodingException e) {
        if (e instanceof CorruptValueException corrupt) {
            return "corrupt:" + corrupt.reason().name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
        if (e instanceof TruncatedValueException) {
            return "truncated";
        }
        if (e instanceof UnsupportedFormatVersionException) {
            return "unsupported-version";
        }
        if (e instanceof OriginalLengthLimitExceededException) {
            return "length-limit";
        }
        if (e instanceof UnknownDictionaryException) {
            return "unknown-dictionary";
        }
        if (e instanceof NotOurFormatException) {
            return "not-our-format";
        }
        return e.getClass().getSimpleName();
    }

    /** The codec as operators see it ({@link ValueHeader#codecName()}), "foreign", or "undecodable" without a header. */
    public String codecName() {
        if (outcome == Outcome.FOREIGN) {
            return "foreign";
        }
        return header == null ? "undecodable" : header.codecName();
    }

    /** Stored bytes over original bytes, or NaN without a header (or an empty original). */
    public double ratio() {
        return header == null || header.originalLength() == 0 ? Double.NaN : (double) storedLength / header.originalLength();
    }
}
