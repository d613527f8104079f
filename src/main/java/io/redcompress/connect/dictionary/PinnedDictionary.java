package io.redcompress.connect.dictionary;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.mapping.ValueDictionaries;

/**
 * {@code compression.dictionary=<id>}: one dictionary, already stored in Redis (by the command-line tool's
 * {@code train}, or by an earlier connector), for every topic; nothing is trained. The dictionary is not checked
 * again while the task runs: if it is evicted or deleted, values name a dictionary that is gone (see README,
 * "Eviction").
 */
public final class PinnedDictionary implements ValueDictionaries {

    private static final Logger log = LoggerFactory.getLogger(PinnedDictionary.class);

    private final ZstdDictionary dictionary;

    private PinnedDictionary(ZstdDictionary dictionary) {
        this.dictionary = dictionary;
    }

    /**
     * Loads dictionary {@code id} from {@code store}.
     *
     * @param setting the setting that names it, for messages
     * @throws IllegalStateException if it is not stored or not a dictionary with that id; the message names the key
     */
    public static PinnedDictionary load(DictionaryStore store, long id, String setting, int level) {
        byte[] bytes;
        try {
            bytes = store.load(id);
        } catch (DictionaryStoreException e) {
            throw new IllegalStateException(setting + "=" + id + ": cannot read dictionary " + store.key(id) + ": "
                    + e.getMessage(), e);
        }
        if (bytes == null) {
            throw new IllegalStateException(setting + "=" + id + " names a dictionary that is not in Redis: key "
                    + store.key(id) + " does not exist. Store it first (the command-line tool's 'train' prints the id "
                    + "of what it stored), or set " + setting + "=auto or none.");
        }
        ZstdDictionary dictionary;
        try {
            dictionary = ZstdDictionary.of(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(setting + "=" + id + ": key " + store.key(id) + " does not hold a zstd "
                    + "dictionary: " + e.getMessage(), e);
        }
        if (dictionary.id() != id) {
            throw new IllegalStateException(setting + "=" + id + ": key " + store.key(id) + " holds dictionary "
                    + dictionary.id() + " (its bytes 4..7), not " + id + "; values would name the wrong dictionary");
        }
        try {
            dictionary.check(level);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(setting + "=" + id + ": key " + store.key(id) + ": " + e.getMessage(), e);
        }
        confirmStored(store, dictionary);
        return new PinnedDictionary(dictionary);
    }

    /**
     * Writes the same bytes again (SET XX, with the WAIT redis.wait.replicas asks for), so that the replicas are known
     * to have the dictionary before any value names it. A user that may only read the prefix gets a WARN: the
     * dictionary is on the master, as it was read from there.
     */
    private static void confirmStored(DictionaryStore store, ZstdDictionary dictionary) {
        try {
            store.store(dictionary);
        } catch (DictionaryStoreException e) {
            log.warn("Dictionary {} was read from Redis but could not be confirmed on its replicas (written again with "
                    + "the WAIT redis.wait.replicas asks for): {}", store.key(dictionary.id()), e.getMessage());
        }
    }

    public ZstdDictionary dictionary() {
        return dictionary;
    }

    @Override
    public ZstdDictionary forTopic(String topic) {
        return dictionary;
    }

    @Override
    public void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used) {
    }
}
