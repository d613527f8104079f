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

    /** How far a topic's dictionary is, for the records held until it has one. */
    enum Readiness {
        /** The topic has a dictionary: its values are compressed with it from now on. */
        ACTIVE,
        /** The topic's values are being sampled to train one: more values bring it closer. */
        SAMPLING,
        /** It has its samples: a dictionary is being trained or stored (or stored again after a failure); more values do not help. */
        PREPARING,
        /** None is coming soon (training failed or was refused, or there are no trained dictionaries). */
        NONE
    }

    /** How far {@code topic}'s dictionary is now; a topic not seen before starts its look-up and sampling. */
    default Readiness readiness(String topic) {
        return forTopic(topic) != null ? Readiness.ACTIVE : Readiness.NONE;
    }

    /**
     * A value of {@code topic} that is held, not encoded, until the topic has a dictionary: sampled to train it as an
     * encoded one would be. {@code original} is not modified and not kept beyond the call unless copied; null for a
     * record with no value to sample. Answers how far the topic's dictionary is now.
     */
    default Readiness held(String topic, byte[] original) {
        return readiness(topic);
    }
}
