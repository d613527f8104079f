package io.redcompress.connect.dictionary;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

import io.redcompress.connect.codec.DictionaryResolver;
import io.redcompress.connect.codec.ZstdDictionary;

/**
 * Dictionaries in memory, for tests of what stores and uses them: a {@link DictionaryStore} with Redis's answers
 * (SET NX: stored, the same bytes already there, or another dictionary under the id), and the resolver of the values
 * written with them. Tests that need a failing or slow store override a method.
 */
public class MemoryDictionaryStore implements DictionaryStore, DictionaryResolver {

    public final Map<Long, byte[]> dictionaries = new ConcurrentHashMap<>();
    public final Map<String, Long> pointers = new ConcurrentHashMap<>();

    @Override
    public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
        byte[] existing = dictionaries.putIfAbsent(dictionary.id(), dictionary.bytes());
        if (existing == null) {
            return StoreResult.STORED;
        }
        return java.util.Arrays.equals(existing, dictionary.bytes()) ? StoreResult.ALREADY_STORED : StoreResult.ID_TAKEN;
    }

    @Override
    public byte[] load(long id) {
        return dictionaries.get(id);
    }

    @Override
    public boolean exists(long id) {
        return dictionaries.containsKey(id);
    }

    @Override
    public OptionalLong activeId(String topic) {
        Long id = pointers.get(topic);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    @Override
    public void setActive(String topic, long id) {
        pointers.put(topic, id);
    }

    @Override
    public String key(long id) {
        return "dict:" + id;
    }

    @Override
    public void close() {
    }

    @Override
    public byte[] dictionary(long id) {
        return dictionaries.get(id);
    }
}
