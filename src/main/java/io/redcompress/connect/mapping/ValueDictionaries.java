package io.redcompress.connect.mapping;

import io.redcompress.connect.codec.ZstdDictionary;

/**
 * Which zstd dictionary a topic's values are compressed with, asked by {@link RecordMapper} for every value on the
 * task thread, and told what came of it (so that dictionaries can be trained on the values and retrained when they
 * drift). Both calls must be cheap: they run once per record.
 */
public interface ValueDictionaries {

    /** Values are compressed without a dictionary. */
    ValueDictionaries NONE = new ValueDictionaries() {
        @Override
        public ZstdDictionary forTopic(String topic) {
            return null;
        }

        @Override
        public void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used) {
        }
    };

    /**
     * The dictionary to compress a value of {@code topic} with now, or null for none. A dictionary returned here has
     * been acknowledged by Redis: values that name it can be read.
     */
    ZstdDictionary forTopic(String topic);

    /**
     * A value of {@code topic} was encoded: {@code original} (not to be modified, and not kept beyond the call unless
     * copied) became {@code storedLength} bytes, compressed with {@code used} (null: without a dictionary).
     */
    void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used);
}
