package io.redcompress.connect.dictionary;

/** Redis refused a dictionary operation or did not answer in time; the message says which and names the key. */
public final class DictionaryStoreException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean refused;

    /**
     * @param refused true when Redis answered with an error (NOPERM, OOM, READONLY, a WAIT short of replicas), false
     *                when it could not be reached or timed out
     */
    public DictionaryStoreException(String message, boolean refused, Throwable cause) {
        super(message, cause);
        this.refused = refused;
    }

    /** Whether Redis answered with a refusal, rather than not at all. */
    public boolean refused() {
        return refused;
    }
}
