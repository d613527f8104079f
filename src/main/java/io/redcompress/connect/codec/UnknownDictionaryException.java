package io.redcompress.connect.codec;

/**
 * The value was compressed with a zstd dictionary (codec id 5) that the decoder's
 * {@link DictionaryResolver} does not have, or the resolver returned a dictionary whose embedded id is
 * not the one asked for. The value itself may be perfectly fine: give the decoder a resolver that
 * reads the connector's dictionaries ({@code <prefix>:<id>} in Redis).
 */
public final class UnknownDictionaryException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    private final long dictionaryId;

    UnknownDictionaryException(long dictionaryId, String message) {
        super(message);
        this.dictionaryId = dictionaryId;
    }

    /** The dictionary id the value names. */
    public long dictionaryId() {
        return dictionaryId;
    }
}
