package io.redcompress.connect.codec;

/**
 * The header declares an original length above the decoder's cap
 * ({@link ValueDecoder.Builder#maxOriginalLength(int)}). Thrown straight after the length is parsed,
 * before any buffer is allocated, so a small forged value cannot make the reader allocate gigabytes.
 */
public final class OriginalLengthLimitExceededException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    private final int declaredLength;
    private final int limit;

    OriginalLengthLimitExceededException(int declaredLength, int limit) {
        super("declared original length " + declaredLength + " exceeds the decoder limit of " + limit
                + " bytes; raise maxOriginalLength if such values are legitimate");
        this.declaredLength = declaredLength;
        this.limit = limit;
    }

    /** The original length declared in the header. */
    public int declaredLength() {
        return declaredLength;
    }

    /** The decoder's cap. */
    public int limit() {
        return limit;
    }
}
