package io.redcompress.connect.dictionary;

import java.util.OptionalLong;

import io.redcompress.connect.codec.ZstdDictionary;

/**
 * Where dictionaries live, seen from the DictionaryManager: Redis in the connector
 * ({@code redis.RedisDictionaryStore}), a map in unit tests. Every call blocks until the store answered
 * (bounded by the store's own timeout) and is made from the manager's background thread, never from the task's.
 *
 * <p>Keys: dictionary {@code id} is {@code <prefix>:<id>} (the raw dictionary bytes, written once with
 * {@code SET NX}, never overwritten, never expiring); the dictionary a connector last used for a topic is
 * named by {@code <prefix>:active:<connector>:<topic>} (its id in decimal; plain metadata, overwritten freely).
 */
public interface DictionaryStore extends AutoCloseable {

    /** What {@link #store} found. */
    enum StoreResult {
        /** This call stored it (SET NX succeeded), and the replicas asked for acknowledged it. */
        STORED,
        /** The same bytes were there already (another task stored them); they are now acknowledged as this call's own write. */
        ALREADY_STORED,
        /** A different dictionary holds this id (a collision of derived ids); nothing was written. */
        ID_TAKEN
    }

    /**
     * Stores {@code dictionary} under its id, so that values naming it can be read: returns only once Redis (and,
     * with {@code redis.wait.replicas}, that many replicas) acknowledged a write of these bytes under the key.
     *
     * @throws DictionaryStoreException if Redis refused (NOPERM, OOM, READONLY) or could not be reached in time
     */
    StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException;

    /**
     * The bytes stored as dictionary {@code id}, or null if there are none.
     *
     * @throws DictionaryStoreException if Redis refused or could not be reached
     */
    byte[] load(long id) throws DictionaryStoreException;

    /** Whether dictionary {@code id} is (still) stored: it can be evicted under an allkeys-* eviction policy. */
    boolean exists(long id) throws DictionaryStoreException;

    /** The id of the dictionary this connector last used for {@code topic}, if it recorded one. */
    OptionalLong activeId(String topic) throws DictionaryStoreException;

    /** Records that this connector now uses dictionary {@code id} for {@code topic}. */
    void setActive(String topic, long id) throws DictionaryStoreException;

    /**
     * A warning when Redis may evict dictionaries (an allkeys-* maxmemory-policy), which would make the values that
     * name them unreadable until they are stored again; empty when it cannot tell or there is no risk.
     */
    default java.util.Optional<String> evictionRisk() {
        return java.util.Optional.empty();
    }

    /** The key dictionary {@code id} is stored under, for messages. */
    String key(long id);

    /** Frees connections; idempotent. */
    @Override
    void close();
}
