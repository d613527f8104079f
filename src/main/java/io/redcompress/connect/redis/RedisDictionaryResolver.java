package io.redcompress.connect.redis;

import java.util.LinkedHashMap;
import java.util.Map;

import io.redcompress.connect.codec.DictionaryResolver;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStoreException;

/**
 * Finds the dictionaries values name where the connector stored them ({@code GET <prefix>:<id>}), for applications
 * that read the values and for the command-line tool:
 *
 * <pre>{@code
 * try (RedisDictionaryResolver dictionaries = RedisDictionaryResolver.open(config)) {
 *     ValueDecoder decoder = ValueDecoder.builder().dictionaries(dictionaries).build();
 *     byte[] value = decoder.decode(bytesFromRedis);
 * }
 * }</pre>
 *
 * <p>Dictionaries never change once stored, so the last {@value #CACHE_ENTRIES} found are kept; an id Redis does not
 * have is asked again next time (it may be stored by then). Thread-safe.
 */
public final class RedisDictionaryResolver implements DictionaryResolver, AutoCloseable {

    /** How many dictionaries are kept after they were found. */
    public static final int CACHE_ENTRIES = 64;

    /** Redis could not be asked for a dictionary: the value is not at fault, so a decoder lets this through. */
    public static final class LookupFailedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        LookupFailedException(DictionaryStoreException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final RedisDictionaryStore store;
    private final boolean ownsStore;
    private final Map<Long, byte[]> found = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    /** Reads through {@code store}, which stays open after {@link #close()}. */
    public RedisDictionaryResolver(RedisDictionaryStore store) {
        this(store, false);
    }

    private RedisDictionaryResolver(RedisDictionaryStore store, boolean ownsStore) {
        this.store = store;
        this.ownsStore = ownsStore;
    }

    /** A resolver with its own client (connected on first use, closed by {@link #close()}), from the connector's config. */
    public static RedisDictionaryResolver open(RedisSinkConfig config) {
        return new RedisDictionaryResolver(RedisDictionaryStore.open(config, null), true);
    }

    /**
     * The bytes stored as dictionary {@code id}, or null if Redis has none.
     *
     * @throws LookupFailedException naming the key, if Redis refused or could not be reached
     */
    @Override
    public byte[] dictionary(long id) {
        synchronized (found) {
            byte[] bytes = found.get(id);
            if (bytes != null) {
                return bytes.clone();
            }
        }
        byte[] bytes;
        try {
            bytes = store.load(id);
        } catch (DictionaryStoreException e) {
            throw new LookupFailedException(e);
        }
        if (bytes != null) {
            synchronized (found) {
                found.put(id, bytes.clone());
            }
        }
        return bytes;
    }

    /** Closes the client of a resolver from {@link #open}; leaves a store passed to the constructor open. */
    @Override
    public void close() {
        if (ownsStore) {
            store.close();
        }
    }
}
