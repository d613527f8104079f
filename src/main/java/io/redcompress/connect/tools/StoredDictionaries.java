package io.redcompress.connect.tools;

import java.util.ArrayList;
import java.util.List;

import io.redcompress.connect.codec.DictionaryIds;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.redis.RedisDictionaryStore;

/** The dictionaries stored in Redis, with their size and MEMORY USAGE. */
public final class StoredDictionaries {

    /**
     * One stored dictionary.
     *
     * @param id          its id
     * @param key         the key it is stored under
     * @param size        its bytes, or -1 when it went between listing and reading (evicted)
     * @param memoryUsage MEMORY USAGE of its key, or -1 when gone
     * @param derivedId   whether the id is the one derived from the content (false for an id set by hand)
     */
    public record Entry(long id, String key, int size, long memoryUsage, boolean derivedId) {
    }

    private StoredDictionaries() {
    }

    /** Every dictionary {@code store} lists, in the order it lists them. */
    public static List<Entry> list(RedisDictionaryStore store) throws DictionaryStoreException {
        List<Entry> entries = new ArrayList<>();
        for (long id : store.listIds()) {
            byte[] bytes = store.load(id);
            boolean derived = bytes != null && DictionaryIds.isFullDictionary(bytes) && DictionaryIds.hasDerivedId(bytes);
            entries.add(new Entry(id, store.key(id), bytes == null ? -1 : bytes.length, store.memoryUsage(id), derived));
        }
        return entries;
    }

    /** The sum of the sizes (bytes) of {@code entries} still there. */
    public static long totalSize(List<Entry> entries) {
        return entries.stream().mapToLong(Entry::size).filter(size -> size > 0).sum();
    }

    /** The sum of the MEMORY USAGE of {@code entries} still there. */
    public static long totalMemoryUsage(List<Entry> entries) {
        return entries.stream().mapToLong(Entry::memoryUsage).filter(usage -> usage > 0).sum();
    }
}
