package io.redcompress.connect.codec;

import java.util.HashMap;
import java.util.Map;

/**
 * Where a {@link ValueDecoder} finds the zstd dictionary a value names (codec id 5, see
 * {@code docs/value-format.md}). The connector keeps dictionaries in Redis under
 * {@code <prefix>:<id>}; an application passes a resolver that reads them from there (for example the
 * connector's {@code RedisDictionaryResolver}), from files, or from memory.
 *
 * <p>Dictionaries never change once stored, so a decoder caches what a resolver returned (bounded,
 * see {@link ValueDecoder.Builder#dictionaryCacheSize(int)}); a resolver need not cache. It is called
 * from the decoding thread, and must be thread-safe if the decoder is shared.
 */
@FunctionalInterface
public interface DictionaryResolver {

    /**
     * The bytes of dictionary {@code id} as stored (a zstd dictionary whose bytes 4..7 hold {@code id},
     * little-endian), or {@code null} if there is no such dictionary. A resolver that cannot look
     * (Redis is down) throws; the decoder lets that exception through, since the value is not at fault.
     */
    byte[] dictionary(long id);

    /** Knows no dictionary: values that name one fail with {@link UnknownDictionaryException}. */
    static DictionaryResolver none() {
        return id -> null;
    }

    /** Knows exactly the given dictionaries. */
    static DictionaryResolver of(ZstdDictionary... dictionaries) {
        Map<Long, byte[]> byId = new HashMap<>();
        for (ZstdDictionary dictionary : dictionaries) {
            byId.put(dictionary.id(), dictionary.bytes());
        }
        return id -> {
            byte[] bytes = byId.get(id);
            return bytes == null ? null : bytes.clone();
        };
    }
}
